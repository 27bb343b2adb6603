using System.Collections.Concurrent;
using Shoal.ClientSide;
using Shoal.Serialization;

namespace Shoal;

public sealed partial class Client
{
    /// <summary>(method, argument index) pairs already warned about: a Map over big values warns once, not per item.</summary>
    private readonly ConcurrentDictionary<(System.Reflection.MethodInfo, int), bool> _largeArgumentWarned = new();

    /// <summary>Options that contradict themselves fail the submission, naming what to change.</summary>
    private static void CheckOptions(SubmitOptions options)
    {
        if (options.AllowOtherWorkers && (options.Workers is null || options.Workers.Count == 0))
        {
            throw new ArgumentException(
                "SubmitOptions.AllowOtherWorkers makes Workers a preference, but no Workers were given; set Workers, or leave AllowOtherWorkers false.",
                nameof(options));
        }
    }

    /// <summary>
    /// A large value passed as an argument travels with its task (and is hashed into its key) every time it is
    /// submitted: warn, as for a large captured value, and suggest scattering it once.
    /// </summary>
    private void WarnOfLargeArguments(Delegate function, object?[] args)
    {
        var limit = Options.LargeCaptureWarningBytes;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is null || arg is IFutureReference || arg.GetType().IsPrimitive) continue;
            var size = SizeEstimator.Estimate(arg, ValueSerializer.Default, limit + 1);
            if (size <= limit || !_largeArgumentWarned.TryAdd((function.Method, i), true)) continue;
            ClientLog.LargeCapture(_logger,
                $"argument {i} of {MethodIdentity.Describe(function.Method)} is a {TypeIdentity.DisplayName(arg.GetType())} of about {size / (1024 * 1024.0):F1} MB; " +
                "it travels with every task it is passed to. Send it once with client.ScatterAsync(...) and pass the future instead");
        }
    }
}
