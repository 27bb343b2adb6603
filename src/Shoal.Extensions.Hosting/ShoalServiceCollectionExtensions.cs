using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Shoal;
using Shoal.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a Shoal client whose lifetime the host owns.</summary>
public static class ShoalServiceCollectionExtensions
{
    /// <summary>
    /// Adds a Shoal client: options bound from <paramref name="configuration"/> (e.g. <c>builder.Configuration.GetSection("Shoal")</c>),
    /// then <paramref name="configure"/>; connected when the host starts, disposed when it stops, logging through the
    /// host's <c>ILoggerFactory</c>. Inject <see cref="Client"/> (or <see cref="HostedShoalClient"/>) into services used
    /// after start.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section to bind <see cref="ShoalClientOptions"/> from; null: none.</param>
    /// <param name="configure">Sets options in code, after the configuration.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddShoalClient(this IServiceCollection services, IConfiguration? configuration = null, Action<ShoalClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ShoalClientOptions>();
        if (configuration is not null) options.Bind(configuration);
        if (configure is not null) options.Configure(configure);
        // Once, however often it is called: a second call adds options, not a second client.
        if (services.Any(static d => d.ServiceType == typeof(HostedShoalClient))) return services;
        services.AddSingleton<HostedShoalClient>();
        services.AddHostedService(static sp => sp.GetRequiredService<HostedShoalClient>());
        services.TryAddSingleton(static sp => sp.GetRequiredService<HostedShoalClient>().Client);
        return services;
    }
}
