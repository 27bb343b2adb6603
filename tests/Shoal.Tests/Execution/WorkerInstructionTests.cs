using Shoal.Execution;

namespace Shoal.Tests.Execution;

public class WorkerInstructionTests
{
    [Fact]
    public void Instructions_with_lists_compare_by_content()
    {
        new GatherDep("p", ["a", "b"], 3).ShouldBe(new GatherDep("p", new List<string> { "a", "b" }, 3));
        new GatherDep("p", ["a", "b"], 3).ShouldNotBe(new GatherDep("p", ["b", "a"], 3));
        new AddKeysMsg([new("a", 1)]).ShouldBe(new AddKeysMsg(new List<KeyValuePair<string, long>> { new("a", 1) }));
        new AddKeysMsg([new("a", 1)]).ShouldNotBe(new AddKeysMsg([new("a", 2)]));
        new RequestWhoHasMsg(["x"]).ShouldBe(new RequestWhoHasMsg(new[] { "x" }));
        ((WorkerInstruction)new Execute("a")).ShouldNotBe(new ReleaseData("a"));
    }

    [Fact]
    public void Instructions_with_lists_print_their_elements()
    {
        new GatherDep("p", ["a", "b"], 3).ToString().ShouldBe("GatherDep { Peer = p, Keys = [a, b], TotalNbytes = 3 }");
        new AddKeysMsg([new("a", 1)]).ToString().ShouldBe("AddKeysMsg { Keys = [[a, 1]] }");
    }
}
