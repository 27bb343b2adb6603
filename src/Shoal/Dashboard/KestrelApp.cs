using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Shoal.Dashboard;

/// <summary>
/// The web servers of Shoal's processes (the scheduler's dashboard, a worker's metrics endpoint):
/// ASP.NET Core's empty builder with Kestrel only (no configuration files, no host chatter before
/// a host's first line), on the given addresses, HTTPS with the process's certificate when the
/// cluster has TLS.
/// </summary>
internal static class KestrelApp
{
    public static WebApplication Build(string name, IPAddress[] ips, int port, X509Certificate2? certificate, ILoggerFactory? loggers)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = name });
        if (loggers is not null) builder.Services.AddSingleton<ILoggerFactory>(new QuietAspNetLoggers(loggers));
        else builder.Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1 << 20;
            kestrel.Limits.MaxConcurrentConnections = 256;
            foreach (var ip in ips)
            {
                kestrel.Listen(ip, port, listen =>
                {
                    // HTTP/2 needs TLS (ALPN); without it, HTTP/1.1 alone (Kestrel warns otherwise).
                    listen.Protocols = certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                    if (certificate is not null) listen.UseHttps(certificate);
                });
            }
        });
        return builder.Build();
    }

    /// <summary>The first address a started app listens on, with a wildcard host replaced by this machine's name.</summary>
    public static string BoundAddress(WebApplication app)
    {
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return bound.Replace("0.0.0.0", Dns.GetHostName(), StringComparison.Ordinal).Replace("[::]", Dns.GetHostName(), StringComparison.Ordinal);
    }
}
