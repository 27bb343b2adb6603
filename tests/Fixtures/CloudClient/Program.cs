// Usage: CloudClient ecs ECS_URL EC2_URL IAM_URL LOGS_URL   (credentials and region from the environment, as AWSSDK.Core reads them)
//        CloudClient gcp PROJECT ZONE COMPUTE_URL KEY_FILE   (KEY_FILE "-": application default credentials)
// Starts a cluster with one worker, prints "ready ID", then waits to be killed.
using Shoal.Cloud.Aws;
using Shoal.Cloud.Gcp;

string id;
if (args[0] == "ecs")
{
    var cluster = await FargateCluster.StartAsync(new EcsClusterOptions
    {
        Image = "localhost/shoal:latest", Workers = 1, Cpu = 1024, MemoryMiB = 2048,
        ServiceUrls = new Dictionary<string, Uri> { ["ecs"] = new(args[1]), ["ec2"] = new(args[2]), ["iam"] = new(args[3]), ["logs"] = new(args[4]) },
        SchedulerHost = "127.0.0.1", AdvertisedSchedulerHost = "127.0.0.1", PollInterval = TimeSpan.FromMilliseconds(50),
    });
    id = cluster.Id;
}
else
{
    var cluster = await GcpCluster.StartAsync(new GcpClusterOptions
    {
        Project = args[1], Zone = args[2], ComputeUrl = new(args[3]), ServiceAccountKeyFile = args[4] == "-" ? null : args[4], Image = "localhost/shoal:latest",
        Workers = 1, ThreadsPerWorker = 1, MemoryLimitPerWorker = 1L << 30,
        SchedulerHost = "127.0.0.1", AdvertisedSchedulerHost = "127.0.0.1", PollInterval = TimeSpan.FromMilliseconds(50),
    });
    id = cluster.Id;
}

Console.WriteLine("ready " + id);
await Task.Delay(Timeout.Infinite);
