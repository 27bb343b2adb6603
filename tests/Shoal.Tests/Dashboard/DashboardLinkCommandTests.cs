using System.Net;
using System.Text;
using Shoal.Cli;
using Shoal.Dashboard;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Dashboard;

/// <summary>
/// <c>shoal dashboard-link</c>: a one-time sign-in link for a closed dashboard, minted from the
/// cluster's token (found as a client finds it), for the role asked; the plain link when the
/// dashboard is open; a clear error when there is none.
/// </summary>
public sealed class DashboardLinkCommandTests
{
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ShoalCommand.InvokeAsync(args, new CliContext(stdout, stderr, HostEntryPoints.Default), CancellationToken.None).WaitAsync(E2E.Timeout);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Off_loopback_it_prints_a_one_time_link_for_the_role_asked()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Processes = true, // a tcp:// scheduler (no worker process: none is needed)
            Workers = 0,
            Security = SecurityOptions.TemporaryToken(),
            ConfigureScheduler = o => o with { Dashboard = new DashboardOptions { Address = "127.0.0.1:0", RequireCredentials = true } },
        }).WaitAsync(E2E.Timeout);
        var (code, stdout, stderr) = await RunAsync("dashboard-link", cluster.SchedulerAddress, "--role", "viewer");
        code.ShouldBe(0, stderr);
        var link = stdout.Trim();
        link.ShouldContain("/login?code=viewer.");

        using var http = DashboardTestSupport.Http(link);
        var pathAndQuery = new Uri(link).PathAndQuery;
        using var signIn = await http.GetAsync(pathAndQuery);
        signIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var session = signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        (await http.GetAsync(pathAndQuery)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a code works once");

        using var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/workers");
        read.Headers.Add("Cookie", session);
        (await http.SendAsync(read)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var retire = new HttpRequestMessage(HttpMethod.Post, "/api/v1/retire_workers") { Content = new StringContent("{\"n\":1}", Encoding.UTF8, "application/json") };
        retire.Headers.Add("Cookie", session);
        (await http.SendAsync(retire)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "a viewer cannot retire workers");
        
        // Without the cluster's token nobody can mint one.
        await using var client = await Client.ConnectAsync(cluster).WaitAsync(E2E.Timeout);
        (await Should.ThrowAsync<InvalidOperationException>(() => client.DashboardSignInLinkAsync(null, DashboardRole.Admin, TimeSpan.FromMinutes(1), CancellationToken.None)))
            .Message.ShouldContain("--token-file");
    }

    [Fact]
    public async Task On_loopback_it_prints_the_plain_link_and_without_a_dashboard_it_says_so()
    {
        await using (var open = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = 0, DashboardAddress = "127.0.0.1:0" }).WaitAsync(E2E.Timeout))
        {
            var (code, stdout, stderr) = await RunAsync("dashboard-link", open.SchedulerAddress);
            code.ShouldBe(0, stderr);
            stdout.Trim().ShouldBe(open.DashboardLink);
        }

        await using var none = await LocalCluster.StartAsync(new LocalClusterOptions { Processes = true, Workers = 0, DashboardAddress = null }).WaitAsync(E2E.Timeout);
        var (failed, _, error) = await RunAsync("dashboard-link", none.SchedulerAddress);
        failed.ShouldBe(1);
        error.ShouldContain("serves no dashboard");
        var (usage, _, bad) = await RunAsync("dashboard-link", none.SchedulerAddress, "--role", "owner");
        usage.ShouldBe(ShoalCommand.UsageError);
        bad.ShouldContain("owner");
    }
}
