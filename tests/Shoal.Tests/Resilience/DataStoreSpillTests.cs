using Shoal.Execution;
using Shoal.Protocol;
using Shoal.Serialization;

namespace Shoal.Tests.Resilience;

public class DataStoreSpillTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("shoal-store-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static byte[] Block(int i) => Enumerable.Repeat((byte)i, 1000).ToArray();

    [Fact]
    public void Past_the_target_the_least_recently_used_values_spill_and_read_back_unchanged()
    {
        var spill = new SpillFiles(_root, "w");
        using var store = new DataStore(2500, spill);
        for (var i = 0; i < 10; i++) store.PutObject($"k{i}", Block(i), 1000);

        store.MemoryBytes.ShouldBeLessThanOrEqualTo(2500);
        store.SpilledBytes.ShouldBe(10_000 - store.MemoryBytes);
        Directory.GetFiles(spill.Directory).Length.ShouldBe(8);
        // k0 is the oldest: on disk; reading it brings it back and pushes out the now oldest one.
        ((byte[])store.ValueOf("k0", TypeResolver.Default)!).ShouldBe(Block(0));
        store.MemoryBytes.ShouldBeLessThanOrEqualTo(2500);
        store.TryGetForPeer("k1", byReference: false, out var encoded).ShouldBeTrue();
        encoded.Nbytes.ShouldBe(1000);
        ((byte[])Shoal.Transfer.Payloads.Decode(encoded.Segments)!).ShouldBe(Block(1));
        for (var i = 0; i < 10; i++) ((byte[])store.ValueOf($"k{i}", TypeResolver.Default)!).ShouldBe(Block(i));
    }

    [Fact]
    public void A_forgotten_value_takes_its_file_along_and_the_directory_goes_with_the_store()
    {
        var spill = new SpillFiles(_root, "w");
        var store = new DataStore(1500, spill);
        for (var i = 0; i < 4; i++) store.PutObject($"k{i}", Block(i), 1000);
        var files = Directory.GetFiles(spill.Directory).Length;
        files.ShouldBe(3);

        store.Remove("k0");
        Directory.GetFiles(spill.Directory).Length.ShouldBe(files - 1);
        store.SpilledBytes.ShouldBe(2000);

        store.Dispose();
        Directory.Exists(spill.Directory).ShouldBeFalse();
    }

    [Fact]
    public void A_store_without_a_target_never_spills()
    {
        var spill = new SpillFiles(_root, "w");
        using var store = new DataStore(0, spill);
        for (var i = 0; i < 10; i++) store.PutObject($"k{i}", Block(i), 1000);

        store.SpilledBytes.ShouldBe(0);
        store.MemoryBytes.ShouldBe(10_000);
        Directory.Exists(spill.Directory).ShouldBeFalse();
    }

    [Fact]
    public void SpillAll_moves_every_value_to_disk()
    {
        using var store = new DataStore(1_000_000, new SpillFiles(_root, "w"));
        for (var i = 0; i < 5; i++) store.PutObject($"k{i}", Block(i), 1000);

        store.SpillAll();

        store.MemoryBytes.ShouldBe(0);
        store.SpilledBytes.ShouldBe(5000);
        ((byte[])store.ValueOf("k3", TypeResolver.Default)!).ShouldBe(Block(3));
    }

    [Fact]
    public void A_spilled_big_array_is_read_back_straight_into_the_array_the_task_gets()
    {
        var spill = new SpillFiles(_root, "w");
        using var store = new DataStore(1_000_000, spill);
        var values = new double[200_000];
        var random = new Random(3);
        for (var i = 0; i < values.Length; i++) values[i] = random.NextDouble();
        store.PutObject("big", values, values.Length * 8L);
        store.SpillAll();
        store.SpilledBytes.ShouldBe(values.Length * 8L);

        // A peer's copy is read from the file into a typed array (not taken: the value stays spilled).
        store.TryGetForPeer("big", byReference: false, out var forPeer).ShouldBeTrue();
        System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(forPeer.Segments[^1].Bytes, out ArrayMemoryManager? peerManager).ShouldBeTrue();
        peerManager!.Array.ShouldBeOfType<double[]>();

        var back = (double[])store.ValueOf("big", TypeResolver.Default)!;
        back.ShouldBe(values);
        back.ShouldNotBeSameAs(values);
        store.TryGetForPeer("big", byReference: false, out var encoded).ShouldBeTrue();
        System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(encoded.Segments[^1].Bytes, out ArrayMemoryManager? manager).ShouldBeTrue();
        manager!.Array.ShouldBeSameAs(back); // the bytes read back are the value's own memory: no copy was made
    }

    [Fact]
    public void A_truncated_spill_file_is_an_error_not_a_value()
    {
        var spill = new SpillFiles(_root, "w");
        var path = spill.Write(Shoal.Transfer.Payloads.Encode(new double[100_000], byReference: false));
        using (var file = new FileStream(path, FileMode.Open)) file.SetLength(file.Length - 1000);
        Should.Throw<InvalidDataException>(() => spill.Read(path)).Message.ShouldContain("corrupt");
        using (var file = new FileStream(path, FileMode.Open)) file.SetLength(2);
        Should.Throw<InvalidDataException>(() => spill.Read(path)).Message.ShouldContain("corrupt");
    }

    [Fact]
    public void Released_memory_asks_for_a_collection_once_per_threshold()
    {
        var released = new ReleasedMemory(1000);
        released.Add(0).ShouldBeFalse();
        released.Add(600).ShouldBeFalse();
        released.Add(500).ShouldBeTrue();
        released.Add(999).ShouldBeFalse();
        released.Add(5000).ShouldBeTrue();
        released.Add(-5).ShouldBeFalse();
    }
}
