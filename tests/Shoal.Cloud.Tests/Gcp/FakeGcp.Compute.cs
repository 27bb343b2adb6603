using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Shoal.Cloud.Tests.Gcp;

internal sealed partial class FakeGcp
{
    private JsonObject Compute(string method, string path, IQueryCollection query, string body)
    {
        var prefix = $"/compute/v1/projects/{Project}/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) throw new GcpError(HttpStatusCode.NotFound, "notFound", $"The resource '{path}' was not found");
        var rest = path[prefix.Length..].Split('/');
        lock (_lock)
        {
            return (method, rest) switch
            {
                ("POST", ["global", "firewalls"]) => InsertFirewall(Parse(body)),
                ("DELETE", ["global", "firewalls", var name]) => DeleteFirewall(name),
                ("GET", ["global", "firewalls"]) => List(_firewalls.Values.Where(f => NameFilter(query["filter"].ToString(), f["name"]!.GetValue<string>()))),
                ("GET", ["global", "operations", var op]) => Operation(op),
                ("GET", ["zones", var zone, "operations", var op]) when zone == Zone => Operation(op),
                ("POST", ["zones", var zone, "instances"]) when zone == Zone => InsertVm(Parse(body)),
                ("GET", ["zones", var zone, "instances"]) when zone == Zone => List(_vms.Values.Where(v => LabelFilter(query["filter"].ToString(), v)).Select(Describe)),
                ("GET", ["zones", var zone, "instances", var name]) when zone == Zone => Describe(VmOf(name)),
                ("GET", ["zones", var zone, "instances", var name, "serialPort"]) when zone == Zone =>
                    new JsonObject { ["contents"] = string.Join('\n', VmOf(name).Serial), ["next"] = "0" },
                ("DELETE", ["zones", var zone, "instances", var name]) when zone == Zone => DeleteVm(name),
                _ => throw new GcpError(HttpStatusCode.NotFound, "notFound", $"The resource '{method} {path}' was not found"),
            };
        }
    }

    private static JsonObject Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new GcpError(HttpStatusCode.BadRequest, "parseError", "the body is not an object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new GcpError(HttpStatusCode.BadRequest, "parseError", e.Message);
        }
    }

    private static GcpError Invalid(string message) => new(HttpStatusCode.BadRequest, "invalid", message);

    private static string Name(JsonObject resource)
    {
        var name = resource["name"]?.GetValue<string>() ?? throw Invalid("Required field 'resource.name' not specified");
        return ResourceName().IsMatch(name) ? name : throw Invalid($"Invalid value for field 'resource.name': '{name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{{0,61}}[a-z0-9])?)'");
    }

    private static void Network(string? network)
    {
        if (network is null || !network.EndsWith("global/networks/default", StringComparison.Ordinal))
            throw new GcpError(HttpStatusCode.NotFound, "notFound", $"The resource 'projects/{Project}/{network}' was not found");
    }

    private JsonObject InsertFirewall(JsonObject rule)
    {
        var name = Name(rule);
        Network(rule["network"]?.GetValue<string>());
        if (rule["allowed"] is not JsonArray { Count: > 0 } allowed || allowed.Any(a => a?["IPProtocol"] is null)) throw Invalid("Required field 'resource.allowed[].IPProtocol' not specified");
        if (rule["direction"]?.GetValue<string>() is not (null or "INGRESS" or "EGRESS")) throw Invalid("direction");
        if (rule["sourceRanges"] is null && rule["sourceTags"] is null) throw Invalid("An ingress rule needs source ranges or source tags");
        if (_firewalls.ContainsKey(name)) throw new GcpError(HttpStatusCode.Conflict, "alreadyExists", $"The resource 'projects/{Project}/global/firewalls/{name}' already exists");
        _firewalls[name] = rule;
        return NewOperation("insert", null, name, () => { });
    }

    private JsonObject DeleteFirewall(string name)
    {
        if (!_firewalls.Remove(name)) throw new GcpError(HttpStatusCode.NotFound, "notFound", $"The resource 'projects/{Project}/global/firewalls/{name}' was not found");
        return NewOperation("delete", null, name, () => { });
    }

    private JsonObject InsertVm(JsonObject vm)
    {
        var name = Name(vm);
        var machine = vm["machineType"]?.GetValue<string>() ?? throw Invalid("Required field 'resource.machineType' not specified");
        var type = machine.StartsWith($"zones/{Zone}/machineTypes/", StringComparison.Ordinal) ? machine[(machine.LastIndexOf('/') + 1)..] : "";
        if (!MachineCpus.TryGetValue(type, out var cpus)) throw new GcpError(HttpStatusCode.NotFound, "notFound", $"Invalid value for field 'resource.machineType': '{machine}'. Machine type with name '{type}' does not exist in zone '{Zone}'.");
        if (vm["disks"] is not JsonArray disks || !disks.Any(d => d?["boot"]?.GetValue<bool>() == true && d["initializeParams"]?["sourceImage"] is not null))
            throw Invalid("Invalid value for field 'resource.disks': a boot disk with a source image is required");
        if (vm["networkInterfaces"] is not JsonArray { Count: > 0 } nics) throw Invalid("At least one network interface is required");
        Network(nics[0]!["network"]?.GetValue<string>());
        foreach (var config in nics[0]!["accessConfigs"]?.AsArray() ?? [])
            if (config?["type"]?.GetValue<string>() != "ONE_TO_ONE_NAT") throw Invalid("accessConfigs[].type must be ONE_TO_ONE_NAT");
        var items = vm["metadata"]?["items"]?.AsArray() ?? [];
        if (items.Sum(i => (i?["key"]?.GetValue<string>().Length ?? 0) + (i?["value"]?.GetValue<string>().Length ?? 0)) > 512 * 1024) throw Invalid("Metadata exceeds 512 KB");
        foreach (var item in items)
            if (!MetadataKey().IsMatch(item?["key"]?.GetValue<string>() ?? "")) throw Invalid($"Invalid value for field 'resource.metadata': metadata key '{item?["key"]}'");
        foreach (var (key, value) in vm["labels"]?.AsObject() ?? [])
            if (!LabelKey().IsMatch(key) || !LabelValue().IsMatch(value?.GetValue<string>() ?? "")) throw Invalid($"Invalid value for field 'resource.labels': {key}");
        foreach (var tag in vm["tags"]?["items"]?.AsArray() ?? [])
            if (!ResourceName().IsMatch(tag?.GetValue<string>() ?? "")) throw Invalid("Invalid value for field 'resource.tags.items'");
        if (vm["scheduling"]?["provisioningModel"]?.GetValue<string>() is not (null or "STANDARD" or "SPOT")) throw Invalid("provisioningModel");
        if (_vms.ContainsKey(name)) throw new GcpError(HttpStatusCode.Conflict, "alreadyExists", $"The resource 'projects/{Project}/zones/{Zone}/instances/{name}' already exists");

        Inserted.Enqueue((JsonObject)vm.DeepClone());
        var used = _vms.Values.Sum(v => v.Cpus);
        if (used + cpus > CpuQuota)
        {
            // Compute Engine accepts the insert and fails its operation.
            var failed = NewOperation("insert", Zone, name, () => { });
            failed["error"] = new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["code"] = "QUOTA_EXCEEDED", ["message"] = $"Quota 'CPUS' exceeded.  Limit: {CpuQuota}.0 in region europe-west1." }) };
            failed["httpErrorStatusCode"] = 403;
            return failed;
        }

        var created = new Vm(name, vm, cpus);
        _vms[name] = created;
        var operation = NewOperation("insert", Zone, name, () =>
        {
            created.Status = "STAGING";
            if (!NeverStart) _ = BootAsync(created);
        });
        if (ConflictOnNextInsert)
        {
            ConflictOnNextInsert = false;
            throw new GcpError(HttpStatusCode.Conflict, "alreadyExists", $"The resource 'projects/{Project}/zones/{Zone}/instances/{name}' already exists");
        }
        return operation;
    }

    private async Task BootAsync(Vm vm)
    {
        await Task.Delay(BootDelay);
        var pairs = (vm.Body["metadata"]?["items"]?.AsArray() ?? []).ToDictionary(i => i!["key"]!.GetValue<string>(), i => i!["value"]!.GetValue<string>());
        lock (_lock)
        {
            if (vm.Status != "STAGING") return;
            vm.Status = "RUNNING";
            vm.Serial.Add("cloud-init: running 'modules:final'");
        }
        var started = await Containers.StartAsync(vm.Name, pairs);
        lock (_lock) vm.Serial.Add(started ? "shoal-worker: worker started" : "shoal-worker: the worker exited; powering off");
        if (!started) lock (_lock) vm.Status = "TERMINATED";
    }

    private Vm VmOf(string name) =>
        _vms.GetValueOrDefault(name) ?? throw new GcpError(HttpStatusCode.NotFound, "notFound", $"The resource 'projects/{Project}/zones/{Zone}/instances/{name}' was not found");

    private JsonObject DeleteVm(string name)
    {
        var vm = VmOf(name);
        vm.Status = "STOPPING";
        return NewOperation("delete", Zone, name, () =>
        {
            _vms.Remove(name);
            _ = Containers.StopAsync(name);
        });
    }

    private JsonObject Describe(Vm vm)
    {
        var described = (JsonObject)vm.Body.DeepClone();
        described["status"] = vm.Status;
        described["networkInterfaces"]![0]!["networkIP"] = "10.132.0." + (Math.Abs(vm.Name.GetHashCode(StringComparison.Ordinal)) % 250 + 2).ToString(CultureInfo.InvariantCulture);
        return described;
    }

    private static JsonObject List(IEnumerable<JsonObject> items) => new() { ["kind"] = "compute#list", ["items"] = new JsonArray([.. items.Select(i => (JsonNode)i.DeepClone())]) };

    /// <summary>The one filter form Shoal lists VMs with: <c>labels.KEY=VALUE</c>.</summary>
    private static bool LabelFilter(string filter, Vm vm)
    {
        if (filter.Length == 0) return true;
        var match = Regex.Match(filter, @"^labels\.([a-z0-9_-]+)=([a-z0-9_-]*)$");
        if (!match.Success) throw Invalid($"Invalid list filter expression '{filter}'");
        return vm.Body["labels"]?[match.Groups[1].Value]?.GetValue<string>() == match.Groups[2].Value;
    }

    /// <summary>The filter form Shoal lists firewall rules with: <c>name eq "REGEX"</c> (a whole-name match, as Compute Engine's eq).</summary>
    private static bool NameFilter(string filter, string name)
    {
        if (filter.Length == 0) return true;
        var match = Regex.Match(filter, "^name eq \"(.*)\"$");
        if (!match.Success) throw Invalid($"Invalid list filter expression '{filter}'");
        return Regex.IsMatch(name, $"^(?:{match.Groups[1].Value})$");
    }

    /// <summary>An operation that is PENDING now, RUNNING soon, DONE after the delay, when <paramref name="done"/> takes effect.</summary>
    private JsonObject NewOperation(string type, string? zone, string target, Action done)
    {
        var name = "operation-" + Guid.NewGuid().ToString("N");
        var operation = new JsonObject
        {
            ["kind"] = "compute#operation", ["name"] = name, ["operationType"] = type, ["status"] = "PENDING",
            ["targetLink"] = $"{BaseAddress}compute/v1/projects/{Project}/{(zone is null ? "global/firewalls" : $"zones/{zone}/instances")}/{target}",
        };
        if (zone is not null) operation["zone"] = $"{BaseAddress}compute/v1/projects/{Project}/zones/{zone}";
        _operations[name] = operation;
        _ = FinishLaterAsync(operation, done);
        return (JsonObject)operation.DeepClone();
    }

    private async Task FinishLaterAsync(JsonObject operation, Action done)
    {
        var half = OperationDelay / 2;
        await Task.Delay(half);
        lock (_lock) if (operation["error"] is null) operation["status"] = "RUNNING";
        await Task.Delay(half);
        lock (_lock)
        {
            operation["status"] = "DONE";
            if (operation["error"] is null) done();
        }
    }

    private JsonObject Operation(string name) =>
        (JsonObject)(_operations.GetValueOrDefault(name) ?? throw new GcpError(HttpStatusCode.NotFound, "notFound", $"The resource 'operations/{name}' was not found")).DeepClone();

    [GeneratedRegex("^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex ResourceName();

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,128}$")]
    private static partial Regex MetadataKey();

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,62}$")]
    private static partial Regex LabelKey();

    [GeneratedRegex("^[a-z0-9_-]{0,63}$")]
    private static partial Regex LabelValue();
}
