namespace Shoal.Tests.Cli;

/// <summary>`shoal certs create` with and without --days.</summary>
public class CertsCommandTests
{
    [Fact]
    public async Task Without_days_the_certificates_are_valid_for_a_year()
    {
        var dir = Path.Join(Path.GetTempPath(), "shoal-certs-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cli = new CliHarness();
            (await cli.RunAsync($"certs create --out {dir} --hosts 127.0.0.1")).ShouldBe(0, cli.Stderr.ToString());
            var worker = SecurityOptions.FromPemFiles(Path.Join(dir, "ca.pem"), Path.Join(dir, "worker.pem"), Path.Join(dir, "worker-key.pem"));
            worker.Certificate!.NotAfter.ShouldBeInRange(DateTime.Now.AddDays(364), DateTime.Now.AddDays(366));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("soon")]
    public async Task A_bad_days_value_is_a_usage_error(string days)
    {
        var cli = new CliHarness();
        (await cli.RunAsync($"certs create --out /nonexistent/never --days {days}")).ShouldBe(2);
        cli.StderrLines.Single().ShouldStartWith($"shoal certs create: invalid --days '{days}'");
    }
}
