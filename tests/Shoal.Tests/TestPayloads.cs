using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Transfer;

namespace Shoal.Tests;

/// <summary>Run specs and errors for the state machines' unit tests, which never look inside them.</summary>
internal static class TestPayloads
{
    /// <summary>A run spec that is one object segment holding <paramref name="text"/>.</summary>
    public static TaskPayload Run(string text) => new([Segment.FromObject(text)], TaskPayload.NoCode);

    /// <summary>The text a run spec from <see cref="Run"/> holds.</summary>
    public static string? TextOf(TaskPayload? payload) => payload?.Run[0].Object as string;

    /// <summary>An error as a worker reports it: <c>TYPE: MESSAGE</c>, no stack, no original exception.</summary>
    public static TaskErrorPayload Error(string message, string type = "Test.Error") =>
        new(new RemoteError { TypeName = type, Message = message, StackTrace = "" }, null);
}
