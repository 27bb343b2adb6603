using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shoal.Extensions.Hosting;

namespace Shoal.Tests.Hosting;

/// <summary><c>services.AddShoalClient(...)</c>: options from configuration, the client's lifetime owned by the host.</summary>
public sealed class HostedClientTests
{
    private static IHost Build(IDictionary<string, string?> settings, Action<ShoalClientOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        builder.Services.AddShoalClient(builder.Configuration.GetSection("Shoal"), configure);
        builder.Services.AddShoalClient(builder.Configuration.GetSection("Shoal")); // twice: still one client
        return builder.Build();
    }

    [Fact]
    public async Task The_hosted_client_connects_when_the_host_starts_and_is_disposed_when_it_stops()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Workers = 1, ThreadsPerWorker = 1 });
        using var host = Build(new Dictionary<string, string?> { ["Shoal:SchedulerAddress"] = cluster.SchedulerAddress, ["Shoal:Name"] = "from-config" },
            o => o.ConnectTimeout = TimeSpan.FromSeconds(20));
        var hosted = host.Services.GetRequiredService<HostedShoalClient>();
        Should.Throw<InvalidOperationException>(() => hosted.Client).Message.ShouldContain("after IHost.StartAsync");

        await host.StartAsync();
        var client = host.Services.GetRequiredService<Client>();
        client.ShouldBeSameAs(hosted.Client);
        client.Options.Name.ShouldBe("from-config");
        client.Options.ConnectTimeout.ShouldBe(TimeSpan.FromSeconds(20)); // code after configuration
        client.Options.LoggerFactory.ShouldBeSameAs(host.Services.GetRequiredService<ILoggerFactory>());
        host.Services.GetServices<IHostedService>().Count().ShouldBe(1);
        (await client.Submit(static (int x) => x + 1, 41).ResultAsync()).ShouldBe(42);

        await host.StopAsync();
        Should.Throw<InvalidOperationException>(() => hosted.Client);
        Should.Throw<ObjectDisposedException>(() => client.Submit(static (int x) => x, 1));
    }

    [Fact]
    public async Task A_host_without_a_scheduler_address_fails_to_start_saying_what_is_missing()
    {
        using var host = Build(new Dictionary<string, string?>());
        var error = await Should.ThrowAsync<InvalidOperationException>(() => host.StartAsync());
        error.Message.ShouldContain("Shoal:SchedulerAddress is not configured");
    }

    [Fact]
    public async Task A_host_whose_scheduler_does_not_answer_fails_to_start()
    {
        using var host = Build(new Dictionary<string, string?> { ["Shoal:SchedulerAddress"] = "tcp://127.0.0.1:1", ["Shoal:ConnectTimeout"] = "00:00:02" });
        await Should.ThrowAsync<Exception>(() => host.StartAsync());
    }
}
