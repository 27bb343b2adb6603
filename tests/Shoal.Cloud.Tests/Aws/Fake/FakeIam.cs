using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Shoal.Cloud.Tests.Aws.Fake;

/// <summary>
/// IAM's query API (version 2010-05-08, global, signed for us-east-1) for the calls Shoal makes: roles with
/// paths, trust policies and tags; managed policies attached and detached; a role with policies attached
/// cannot be deleted (DeleteConflict); the account's role quota (LimitExceeded).
/// </summary>
internal sealed class FakeIam
{
    private const string Xmlns = "https://iam.amazonaws.com/doc/2010-05-08/";
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Role> _roles = [];

    /// <summary>Roles the account may have.</summary>
    public int RoleQuota { get; set; } = 1000;

    public bool RoleExists(string arn)
    {
        lock (_lock) return _roles.Values.Any(r => r.Arn == arn);
    }

    public IReadOnlyList<string> PoliciesOf(string role)
    {
        lock (_lock) return [.. _roles[role].Policies];
    }

    public IReadOnlyList<string> Leftovers()
    {
        lock (_lock) return [.. _roles.Keys.Select(r => "IAM role " + r)];
    }

    public FakeReply Handle(string action, Dictionary<string, string> form)
    {
        if (form.GetValueOrDefault("Version") != "2010-05-08") throw new FakeError("InvalidParameterValue", "Version must be 2010-05-08");
        lock (_lock)
        {
            return action switch
            {
                "CreateRole" => CreateRole(form),
                "AttachRolePolicy" => Attach(form),
                "DetachRolePolicy" => Detach(form),
                "ListAttachedRolePolicies" => FakeReply.Query(action, Xmlns, "<AttachedPolicies>" + string.Concat(RoleOf(form).Policies.Select(p =>
                    $"<member><PolicyName>{p[(p.LastIndexOf('/') + 1)..]}</PolicyName><PolicyArn>{p}</PolicyArn></member>")) + "</AttachedPolicies><IsTruncated>false</IsTruncated>"),
                "DeleteRole" => DeleteRole(form),
                "ListRoles" => FakeReply.Query(action, Xmlns, "<Roles>" + string.Concat(_roles.Values.Where(r => r.Path.StartsWith(form.GetValueOrDefault("PathPrefix", "/"), StringComparison.Ordinal))
                    .Select(r => $"<member><RoleName>{r.Name}</RoleName><Path>{r.Path}</Path><Arn>{r.Arn}</Arn></member>")) + "</Roles><IsTruncated>false</IsTruncated>"),
                "ListRoleTags" => FakeReply.Query(action, Xmlns, "<Tags>" + string.Concat(RoleOf(form).Tags.Select(t =>
                    $"<member><Key>{FakeReply.Escape(t.Key)}</Key><Value>{FakeReply.Escape(t.Value)}</Value></member>")) + "</Tags><IsTruncated>false</IsTruncated>"),
                _ => throw new FakeError("InvalidAction", $"Could not find operation {action}"),
            };
        }
    }

    private static string Required(Dictionary<string, string> form, string name) =>
        form.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new FakeError("ValidationError", $"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null");

    private Role RoleOf(Dictionary<string, string> form) =>
        _roles.GetValueOrDefault(Required(form, "RoleName")) ?? throw new FakeError("NoSuchEntity", $"The role with name {form["RoleName"]} cannot be found.", HttpStatusCode.NotFound);

    private FakeReply CreateRole(Dictionary<string, string> form)
    {
        var name = Required(form, "RoleName");
        if (name.Length > 64) throw new FakeError("ValidationError", "RoleName: at most 64 characters");
        var path = form.GetValueOrDefault("Path", "/");
        if (!path.StartsWith('/') || !path.EndsWith('/')) throw new FakeError("ValidationError", "Path must begin and end with /");
        var trust = JsonNode.Parse(Required(form, "AssumeRolePolicyDocument"));
        if (trust?["Statement"] is not JsonArray statements || statements.Count == 0) throw new FakeError("MalformedPolicyDocument", "the trust policy has no statements");
        if (_roles.ContainsKey(name)) throw new FakeError("EntityAlreadyExists", $"Role with name {name} already exists.", HttpStatusCode.Conflict);
        if (_roles.Count >= RoleQuota) throw new FakeError("LimitExceeded", $"Cannot exceed quota for RolesPerAccount: {RoleQuota}", HttpStatusCode.Conflict);
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; form.TryGetValue($"Tags.member.{i}.Key", out var key); i++) tags[key] = form.GetValueOrDefault($"Tags.member.{i}.Value", "");
        var role = new Role(name, path, $"arn:aws:iam::{FakeAws.Account}:role{path}{name}", tags);
        _roles[name] = role;
        return FakeReply.Query("CreateRole", Xmlns, $"<Role><Path>{path}</Path><RoleName>{name}</RoleName><RoleId>AROA{Guid.NewGuid():N}</RoleId><Arn>{role.Arn}</Arn></Role>");
    }

    private FakeReply Attach(Dictionary<string, string> form)
    {
        var role = RoleOf(form);
        var policy = Required(form, "PolicyArn");
        if (!policy.StartsWith("arn:aws:iam::aws:policy/", StringComparison.Ordinal)) throw new FakeError("NoSuchEntity", $"Policy {policy} does not exist or is not attachable.", HttpStatusCode.NotFound);
        if (!role.Policies.Contains(policy)) role.Policies.Add(policy);
        return FakeReply.Query("AttachRolePolicy", Xmlns, "");
    }

    private FakeReply Detach(Dictionary<string, string> form)
    {
        var role = RoleOf(form);
        if (!role.Policies.Remove(Required(form, "PolicyArn"))) throw new FakeError("NoSuchEntity", "Policy is not attached to the role.", HttpStatusCode.NotFound);
        return FakeReply.Query("DetachRolePolicy", Xmlns, "");
    }

    private FakeReply DeleteRole(Dictionary<string, string> form)
    {
        var role = RoleOf(form);
        if (role.Policies.Count > 0) throw new FakeError("DeleteConflict", "Cannot delete entity, must detach all policies first.", HttpStatusCode.Conflict);
        _roles.Remove(role.Name);
        return FakeReply.Query("DeleteRole", Xmlns, "");
    }

    private sealed record Role(string Name, string Path, string Arn, Dictionary<string, string> Tags)
    {
        public List<string> Policies { get; } = [];
    }
}
