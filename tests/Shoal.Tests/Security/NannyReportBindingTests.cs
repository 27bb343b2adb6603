using Shoal.Comm;
using Shoal.Execution;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Resilience;

namespace Shoal.Tests.Security;

/// <summary>
/// A nanny's report that its worker died is bound to that worker by the nanny id the nanny gave
/// it: every worker shares the cluster's worker credential, so without the id one worker's nanny
/// could declare any other worker dead. (The real nanny-to-worker plumbing is shown by
/// NannyTests: a killed worker's cause is reported only when the ids match.)
/// </summary>
public class NannyReportBindingTests
{
    private static WorkerDied Report(string name, string nannyId, string cause = "killed by signal 9") =>
        new() { Name = name, NannyId = nannyId, Cause = cause };

    private static RegisterWorker Registered(string name, string nannyId) =>
        new() { Name = name, Address = "tcp://127.0.0.1:9", NannyId = nannyId, Nanny = nannyId.Length > 0 };

    [Fact]
    public void A_report_from_the_workers_own_nanny_is_taken() =>
        NannyReports.Refusal(Report("a", "id-a"), Registered("a", "id-a")).ShouldBeNull();

    [Fact]
    public void A_report_from_another_workers_nanny_is_refused() =>
        NannyReports.Refusal(Report("b", "id-a"), Registered("b", "id-b")).ShouldBe("the report's nanny id is not the one worker 'b' registered with");

    [Fact]
    public void A_report_without_a_nanny_id_is_refused() =>
        NannyReports.Refusal(Report("a", ""), Registered("a", "id-a")).ShouldBe("the report about worker 'a' carries no nanny id");

    [Fact]
    public void A_report_about_a_worker_that_runs_under_no_nanny_is_refused() =>
        NannyReports.Refusal(Report("a", "id-x"), Registered("a", "")).ShouldBe("worker 'a' runs under no nanny");

    [Fact]
    public void An_early_report_explains_only_the_departure_of_the_worker_registered_with_its_id()
    {
        var reports = new NannyReports();
        NannyReports.Refusal(Report("a", "id-x"), live: null).ShouldBeNull(); // not registered now: kept, bound to its id
        reports.Remember(Report("a", "id-x", "forged"), now: 1);
        reports.Remember(Report("a", "id-a", "killed by signal 9"), now: 2);

        reports.Take(Registered("a", "id-a"), now: 3).ShouldBe("killed by signal 9");
        reports.Take(Registered("a", "id-a"), now: 3).ShouldBeNull("consumed");
        reports.Take(Registered("a", ""), now: 3).ShouldBeNull("a worker without a nanny takes no nanny's report");
    }

    [Fact]
    public void An_early_report_expires()
    {
        var reports = new NannyReports();
        reports.Remember(Report("a", "id-a"), now: 1);
        reports.Take(Registered("a", "id-a"), now: 1 + NannyReports.Lifetime).ShouldBeNull();
    }

    [Fact]
    public async Task One_workers_nanny_credential_cannot_declare_another_worker_dead()
    {
        var cluster = SecurityOptions.TemporaryToken();
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0", Security = cluster });
        WorkerServerOptions Worker(string name) => new()
        {
            SchedulerAddress = scheduler.Address, ListenAddress = "tcp://127.0.0.1:0", Name = name, NThreads = 1,
            Security = cluster.ForRole(Role.Worker), Nanny = true, NannyId = "id-" + name,
        };
        await using var a = await WorkerServer.StartAsync(Worker("a"));
        await using var b = await WorkerServer.StartAsync(Worker("b"));
        var asNanny = new ConnectionOptions { Role = Role.Nanny, Name = "nanny-a", Security = cluster.ForRole(Role.Worker), HandshakeTimeout = TimeSpan.FromSeconds(5) };

        // a's nanny (it holds a's id) says b died: refused, the connection closed, b still registered.
        await using (var nanny = await Transports.ConnectAsync(scheduler.Address, asNanny))
        {
            nanny.Send(new Envelope { WorkerDied = Report("b", "id-a", "made up") });
            await nanny.Closed.WaitAsync(SecurityTestKit.Patience);
        }

        scheduler.WorkerCount.ShouldBe(2);
        scheduler.Departures.ShouldBeEmpty();

        // About its own worker it is heard.
        await using (var nanny = await Transports.ConnectAsync(scheduler.Address, asNanny))
        {
            nanny.Send(new Envelope { WorkerDied = Report("a", "id-a", "killed by signal 9") });
            // (a is alive here, unlike a worker whose nanny reports it: it may register again at once.)
            await Eventually.HoldsAsync(() => scheduler.Departures.Count > 0, SecurityTestKit.Patience, "a is removed");
        }

        scheduler.Departures.ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            d => d.Worker.ShouldBe("a"),
            d => d.Cause.ShouldBe("killed by signal 9"));
    }
}
