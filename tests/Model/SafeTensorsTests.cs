// The safetensors reader against files a hostile or careless writer could hand over: a shape whose element count
// overflows, a missing field, tensors sharing bytes, bytes that belong to no tensor. Each is refused naming the
// problem, before libtorch sees it; an honest file still round-trips, and a write replaces the file whole.
using System.Buffers.Binary;
using System.Text;
using MLNet.LowRank.Model;
using TorchSharp;

namespace MLNet.LowRank.Tests.Model;

public class SafeTensorsTests
{
    /// <summary>A safetensors file with this header (JSON) and <paramref name="dataBytes"/> zero bytes of
    /// data.</summary>
    static string Crafted(TempDirectory dir, string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, json.Length);
        json.CopyTo(bytes, 8);
        string path = Path.Combine(dir.Path, $"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static Action Reading(string path) => () =>
    {
        var (tensors, _) = SafeTensors.Read(path);
        foreach (var t in tensors.Values) t.Dispose();
    };

    [Fact]
    public void An_honest_file_round_trips_and_a_rewrite_replaces_it_whole()
    {
        using var dir = new TempDirectory("lowrank-st-");
        string path = Path.Combine(dir.Path, "w.safetensors");
        using (var a = torch.tensor(new float[] { 0, 1, 2, 3, 4, 5 }).reshape(2, 3))
        using (var b = torch.ones(4, torch.float32))
            SafeTensors.Write(path, new Dictionary<string, torch.Tensor> { ["a"] = a, ["b"] = b },
                new Dictionary<string, string> { ["k"] = "v" });
        var (tensors, metadata) = SafeTensors.Read(path);
        tensors["a"].data<float>().ToArray().Should().Equal(0, 1, 2, 3, 4, 5);
        tensors["b"].shape.Should().Equal(4);
        metadata["k"].Should().Be("v");
        foreach (var t in tensors.Values) t.Dispose();
        Directory.GetFiles(dir.Path).Should()
            .ContainSingle("the write went through a temporary file that was renamed into place");
    }

    [Fact]
    public void A_shape_whose_size_overflows_is_refused_even_when_the_wrapped_size_matches_its_range()
    {
        using var dir = new TempDirectory("lowrank-st-");
        // 2^62 × 4 elements × 4 bytes wraps to 0 bytes in unchecked 64-bit arithmetic: an empty range would "match".
        string wraps = Crafted(dir, """{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}""",
            0);
        Reading(wraps).Should().Throw<InvalidDataException>()
            .WithMessage("*tensor 'w' claims shape [4611686018427387904, 4], whose size does not fit in 64 bits*");
        string negative = Crafted(dir, """{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,0]}}""", 0);
        Reading(negative).Should().Throw<InvalidDataException>().WithMessage("*negative dimension*");
    }

    [Fact]
    public void A_missing_or_mistyped_field_is_named_instead_of_a_null_reference()
    {
        using var dir = new TempDirectory("lowrank-st-");
        Reading(Crafted(dir, """{"w":{"shape":[2],"data_offsets":[0,8]}}""",
            8)).Should().Throw<InvalidDataException>().WithMessage("*tensor 'w': dtype is missing*");
        Reading(Crafted(dir, """{"w":{"dtype":"F32","data_offsets":[0,8]}}""",
            8)).Should().Throw<InvalidDataException>().WithMessage("*tensor 'w': shape is missing*");
        Reading(Crafted(dir, """{"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}""",
            8)).Should().Throw<InvalidDataException>().WithMessage("*shape holds \"2\", not an integer*");
        Reading(Crafted(dir, """{"w":[1,2]}""",
            8)).Should().Throw<InvalidDataException>().WithMessage("*tensor 'w' is not described by an object*");
        Reading(Crafted(dir, """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""",
            8)).Should().Throw<InvalidDataException>().WithMessage("*header is not valid JSON*");
    }

    [Fact]
    public void Tensors_sharing_bytes_or_bytes_of_no_tensor_are_refused()
    {
        using var dir = new TempDirectory("lowrank-st-");
        string overlap =
            Crafted(dir, """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16);
        Reading(overlap).Should().Throw<InvalidDataException>()
            .WithMessage("*tensor 'b' (bytes 8..16) overlaps another tensor's bytes*");
        string hole = Crafted(dir, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16);
        Reading(hole).Should().Throw<InvalidDataException>()
            .WithMessage("*bytes 0..8 of the data belong to no tensor*");
        string tiled =
            Crafted(dir, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 16);
        Reading(tiled).Should().NotThrow("ranges in any order that tile the data are valid");
    }
}
