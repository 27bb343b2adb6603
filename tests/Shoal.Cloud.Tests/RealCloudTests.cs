using Shoal.Cloud.Aws;
using Shoal.Cloud.Gcp;

namespace Shoal.Cloud.Tests;

/// <summary>
/// The managers against the real clouds: each runs only where credentials, an image the cloud can pull and
/// a scheduler address its machines reach are given, and is reported as skipped, with what is missing, otherwise.
/// Both remove everything they made (and check it with CleanupAsync afterwards).
/// </summary>
public sealed class RealCloudTests
{
    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static string? Missing(params string[] names) =>
        names.Where(n => Env(n) is null).ToList() is { Count: > 0 } missing ? string.Join(", ", missing) : null;

    private static bool HasAwsCredentials() =>
        Env("AWS_ACCESS_KEY_ID") is not null || Env("AWS_PROFILE") is not null || Env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") is not null
        || File.Exists(Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".aws", "credentials"));

    [SkippableFact]
    public async Task Fargate_for_real_computes_and_leaves_nothing()
    {
        Skip.IfNot(HasAwsCredentials(), "did not run: no AWS credentials here (AWS_ACCESS_KEY_ID, AWS_PROFILE or ~/.aws/credentials)");
        Skip.If(Missing("SHOAL_CLOUD_IMAGE", "SHOAL_AWS_SCHEDULER_HOST") is not null,
            $"did not run: AWS credentials are present but {Missing("SHOAL_CLOUD_IMAGE", "SHOAL_AWS_SCHEDULER_HOST")} is not set (the image tasks pull, and this machine's address in the VPC)");
        var options = new EcsClusterOptions { Image = Env("SHOAL_CLOUD_IMAGE")!, AdvertisedSchedulerHost = Env("SHOAL_AWS_SCHEDULER_HOST"), Workers = 1, Cpu = 256, MemoryMiB = 512 };
        string id;
        await using (var cluster = await FargateCluster.StartAsync(options))
        {
            id = cluster.Id;
            await using var client = await Client.ConnectAsync(cluster);
            (await client.Submit(static () => 6 * 7).ResultAsync()).ShouldBe(42);
        }
        (await EcsCluster.CleanupAsync(options, id)).ShouldBeEmpty();
    }

    [SkippableFact]
    public async Task Gce_for_real_computes_and_leaves_nothing()
    {
        var adc = Env("GOOGLE_APPLICATION_CREDENTIALS") is not null
            || File.Exists(Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "gcloud", "application_default_credentials.json"));
        Skip.IfNot(adc, "did not run: no Google credentials here (GOOGLE_APPLICATION_CREDENTIALS or gcloud's application default credentials)");
        Skip.If(Missing("SHOAL_GCP_PROJECT", "SHOAL_GCP_ZONE", "SHOAL_CLOUD_IMAGE", "SHOAL_GCP_SCHEDULER_HOST") is not null,
            $"did not run: Google credentials are present but {Missing("SHOAL_GCP_PROJECT", "SHOAL_GCP_ZONE", "SHOAL_CLOUD_IMAGE", "SHOAL_GCP_SCHEDULER_HOST")} is not set");
        var options = new GcpClusterOptions
        {
            Project = Env("SHOAL_GCP_PROJECT")!, Zone = Env("SHOAL_GCP_ZONE")!, Image = Env("SHOAL_CLOUD_IMAGE")!,
            AdvertisedSchedulerHost = Env("SHOAL_GCP_SCHEDULER_HOST"), Workers = 1, MachineType = "e2-small", ThreadsPerWorker = 1, MemoryLimitPerWorker = 1L << 30,
        };
        string id;
        await using (var cluster = await GcpCluster.StartAsync(options))
        {
            id = cluster.Id;
            await using var client = await Client.ConnectAsync(cluster);
            (await client.Submit(static () => 6 * 7).ResultAsync()).ShouldBe(42);
        }
        (await GcpCluster.CleanupAsync(options, id)).ShouldBeEmpty();
    }
}
