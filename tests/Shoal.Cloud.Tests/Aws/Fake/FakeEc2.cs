using System.Net;
using System.Text;

namespace Shoal.Cloud.Tests.Aws.Fake;

/// <summary>
/// EC2's query API (version 2016-11-15) for the calls Shoal makes: a default VPC with two subnets,
/// security groups (unique names per VPC, tags at creation, ingress from groups or CIDR ranges, and
/// DependencyViolation while a task's network interface still uses one).
/// </summary>
internal sealed class FakeEc2
{
    public const string Vpc = "vpc-0fa1e5";
    public static readonly string[] SubnetIds = ["subnet-0a1", "subnet-0b2"];

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Group> _groups = [];
    private readonly Dictionary<string, IReadOnlyList<string>> _attached = [];

    public bool SubnetExists(string subnet) => SubnetIds.Contains(subnet);

    public bool GroupExists(string group)
    {
        lock (_lock) return _groups.ContainsKey(group);
    }

    /// <summary>The ingress rules of a group as (protocol, from, to, source group or CIDR).</summary>
    public IReadOnlyList<(string Protocol, int From, int To, string Source)> IngressOf(string group)
    {
        lock (_lock) return [.. _groups[group].Ingress];
    }

    public void Attach(IReadOnlyList<string> groups, string task)
    {
        lock (_lock) _attached[task] = groups;
    }

    public void Detach(string task)
    {
        lock (_lock) _attached.Remove(task);
    }

    public IReadOnlyList<string> Leftovers()
    {
        lock (_lock) return [.. _groups.Values.Select(g => $"security group {g.Id} ({g.Name})")];
    }

    public FakeReply Handle(string action, Dictionary<string, string> form)
    {
        if (form.GetValueOrDefault("Version") != "2016-11-15") throw new FakeError("InvalidParameterValue", "Version must be 2016-11-15");
        return action switch
        {
            "DescribeVpcs" => FakeReply.Ec2(action, Filtered(form, [("isDefault", "true"), ("vpc-id", Vpc)])
                ? $"<vpcSet><item><vpcId>{Vpc}</vpcId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock><isDefault>true</isDefault></item></vpcSet>"
                : "<vpcSet/>"),
            "DescribeSubnets" => FakeReply.Ec2(action, Filtered(form, [("vpc-id", Vpc)])
                ? "<subnetSet>" + string.Concat(SubnetIds.Select((s, i) => $"<item><subnetId>{s}</subnetId><vpcId>{Vpc}</vpcId><availabilityZone>{FakeAws.Region}{(char)('a' + i)}</availabilityZone><state>available</state></item>")) + "</subnetSet>"
                : "<subnetSet/>"),
            "CreateSecurityGroup" => CreateGroup(form),
            "AuthorizeSecurityGroupIngress" => Authorize(form),
            "DeleteSecurityGroup" => Delete(form),
            "DescribeSecurityGroups" => DescribeGroups(form),
            _ => throw new FakeError("InvalidAction", $"The action {action} is not valid for this web service."),
        };
    }

    /// <summary>True when every filter of the request names a field among <paramref name="fields"/> with the value there.</summary>
    private static bool Filtered(Dictionary<string, string> form, (string Name, string Value)[] fields)
    {
        for (var i = 1; form.TryGetValue($"Filter.{i}.Name", out var name); i++)
        {
            var values = Values(form, $"Filter.{i}.Value");
            var field = fields.FirstOrDefault(f => f.Name == name);
            if (field.Name is null) throw new FakeError("InvalidParameterValue", $"The filter '{name}' is invalid");
            if (!values.Contains(field.Value)) return false;
        }
        return true;
    }

    private static List<string> Values(Dictionary<string, string> form, string prefix)
    {
        var values = new List<string>();
        for (var j = 1; form.TryGetValue($"{prefix}.{j}", out var value); j++) values.Add(value);
        return values;
    }

    private static string Required(Dictionary<string, string> form, string name) =>
        form.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new FakeError("MissingParameter", $"The request must contain the parameter {name}");

    private FakeReply CreateGroup(Dictionary<string, string> form)
    {
        var name = Required(form, "GroupName");
        Required(form, "GroupDescription");
        var vpc = Required(form, "VpcId");
        if (vpc != Vpc) throw new FakeError("InvalidVpcID.NotFound", $"The vpc ID '{vpc}' does not exist");
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; form.TryGetValue($"TagSpecification.{i}.ResourceType", out var type); i++)
        {
            if (type != "security-group") throw new FakeError("InvalidParameterValue", $"'{type}' is not a valid taggable resource type for this operation.");
            for (var j = 1; form.TryGetValue($"TagSpecification.{i}.Tag.{j}.Key", out var key); j++) tags[key] = form.GetValueOrDefault($"TagSpecification.{i}.Tag.{j}.Value", "");
        }
        lock (_lock)
        {
            if (_groups.Values.Any(g => g.Name == name)) throw new FakeError("InvalidGroup.Duplicate", $"The security group '{name}' already exists for VPC '{vpc}'");
            var group = new Group("sg-" + Guid.NewGuid().ToString("N")[..17], name, tags);
            _groups[group.Id] = group;
            return FakeReply.Ec2("CreateSecurityGroup", $"<return>true</return><groupId>{group.Id}</groupId>");
        }
    }

    private Group GroupOf(string id) =>
        _groups.GetValueOrDefault(id) ?? throw new FakeError("InvalidGroup.NotFound", $"The security group '{id}' does not exist");

    private FakeReply Authorize(Dictionary<string, string> form)
    {
        lock (_lock)
        {
            var group = GroupOf(Required(form, "GroupId"));
            for (var i = 1; form.TryGetValue($"IpPermissions.{i}.IpProtocol", out var protocol); i++)
            {
                var from = int.Parse(Required(form, $"IpPermissions.{i}.FromPort"), System.Globalization.CultureInfo.InvariantCulture);
                var to = int.Parse(Required(form, $"IpPermissions.{i}.ToPort"), System.Globalization.CultureInfo.InvariantCulture);
                if (from > to || to > 65535) throw new FakeError("InvalidParameterValue", "port range");
                for (var j = 1; form.TryGetValue($"IpPermissions.{i}.Groups.{j}.GroupId", out var source); j++)
                {
                    GroupOf(source);
                    group.Ingress.Add((protocol, from, to, source));
                }
                for (var j = 1; form.TryGetValue($"IpPermissions.{i}.IpRanges.{j}.CidrIp", out var cidr); j++) group.Ingress.Add((protocol, from, to, cidr));
            }
            if (group.Ingress.Count == 0) throw new FakeError("MissingParameter", "No permissions given");
            return FakeReply.Ec2("AuthorizeSecurityGroupIngress", "<return>true</return>");
        }
    }

    private FakeReply Delete(Dictionary<string, string> form)
    {
        lock (_lock)
        {
            var group = GroupOf(Required(form, "GroupId"));
            if (_attached.Values.Any(groups => groups.Contains(group.Id)))
                throw new FakeError("DependencyViolation", $"resource {group.Id} has a dependent object");
            _groups.Remove(group.Id);
            return FakeReply.Ec2("DeleteSecurityGroup", "<return>true</return>");
        }
    }

    private FakeReply DescribeGroups(Dictionary<string, string> form)
    {
        lock (_lock)
        {
            IEnumerable<Group> groups = _groups.Values;
            for (var i = 1; form.TryGetValue($"Filter.{i}.Name", out var name); i++)
            {
                var values = Values(form, $"Filter.{i}.Value");
                groups = name switch
                {
                    "tag-key" => groups.Where(g => g.Tags.Keys.Any(values.Contains)),
                    _ when name.StartsWith("tag:", StringComparison.Ordinal) => groups.Where(g => g.Tags.TryGetValue(name[4..], out var v) && values.Contains(v)),
                    "vpc-id" => groups.Where(_ => values.Contains(Vpc)),
                    _ => throw new FakeError("InvalidParameterValue", $"The filter '{name}' is invalid"),
                };
            }
            var xml = new StringBuilder("<securityGroupInfo>");
            foreach (var g in groups)
            {
                xml.Append($"<item><ownerId>{FakeAws.Account}</ownerId><groupId>{g.Id}</groupId><groupName>{FakeReply.Escape(g.Name)}</groupName><vpcId>{Vpc}</vpcId><tagSet>");
                foreach (var (k, v) in g.Tags) xml.Append($"<item><key>{FakeReply.Escape(k)}</key><value>{FakeReply.Escape(v)}</value></item>");
                xml.Append("</tagSet></item>");
            }
            return FakeReply.Ec2("DescribeSecurityGroups", xml.Append("</securityGroupInfo>").ToString());
        }
    }

    private sealed record Group(string Id, string Name, Dictionary<string, string> Tags)
    {
        public List<(string Protocol, int From, int To, string Source)> Ingress { get; } = [];
    }
}
