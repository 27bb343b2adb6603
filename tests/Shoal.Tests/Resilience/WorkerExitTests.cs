using Shoal.Hosting;

namespace Shoal.Tests.Resilience;

public sealed class WorkerExitTests
{
    [Theory]
    [InlineData(0, true, "exited normally")]
    [InlineData(137, false, "killed by signal 9 (SIGKILL) (exit code 137)")]
    [InlineData(134, false, "killed by signal 6 (SIGABRT) (exit code 134)")]
    [InlineData(130, false, "killed by signal 2 (exit code 130)")]
    [InlineData(1, false, "exited with code 1")]
    [InlineData(255, false, "exited with code 255")]
    public void An_exit_code_is_named_as_the_nanny_reports_it(int code, bool normal, string text) =>
        WorkerExit.Describe(code).ShouldBe((normal, text));
}
