// Export that PyTorch reads: a trained model written by GptExport (safetensors + JSON config) loads into the
// independent reference and gives the library's logits; it imports back into the library exactly; bad files are
// refused.
using System.Text.RegularExpressions;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Reference;

public class ExportTests(Xunit.Abstractions.ITestOutputHelper log)
{
    static Gpt TrainedModel(GptConfig config)
    {
        var model = Gpt.Create(config, seed: 3);
        TrainingLoop.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken,
            Tiny.Options(8));   // a non-zero head and projections
        return model;
    }

    static GptConfig Config(string name) => name switch
    {
        "dense" => Tiny.Config(LinearVariant.Dense),
        "factored-schedule-head" => Tiny.Config(LinearVariant.Factored, RankSchedule.Linear(4, 12),
            8) with { HeadRank = 8 },
        "diagonal" => Tiny.Config(LinearVariant.FactoredDiagonal, 8, 8),
        _ => Tiny.Config(LinearVariant.Cola, 8, null),
    };

    static readonly (string Name, string Extension, ScalarType Dtype)[] Cases =
    [
        ("dense", ".safetensors", ScalarType.Float32),
        ("factored-schedule-head", ".safetensors", ScalarType.Float32),
        ("diagonal", ".pt", ScalarType.Float32),
        ("cola-attention-only", ".safetensors", ScalarType.Float32),
        ("factored-schedule-head", ".pt", ScalarType.Float32),
        ("factored-schedule-head", ".safetensors", ScalarType.BFloat16),
        ("dense", ".pt", ScalarType.Float16),
    ];

    [SkippableFact]
    public void Every_export_reproduces_the_logits_in_the_pytorch_reference_and_imports_back()
    {
        string dir = Directory.CreateTempSubdirectory("lowrank-export-").FullName;
        try
        {
            // Each case exported and imported back here; then one reference process checks them all (one torch start).
            var pairs = new List<string>();
            foreach (var (name, extension, dtype) in Cases)
            {
                using var model = TrainedModel(Config(name));
                string export = Path.Combine(dir, $"{name}-{dtype}{extension}");
                GptExport.Save(model, export, dtype);
                File.Exists(Path.ChangeExtension(export, ".json")).Should()
                    .BeTrue("the config is written beside the weights");

                var random = new Random(1);
                using var idx = tensor(Enumerable.Range(0,
                    2 * 16).Select(_ => (long)random.Next(Tiny.Vocab)).ToArray(), 2, 16);
                using var imported = GptExport.Load(export);
                // Import restores every weight as exported: exactly in float32; rounded to the export dtype otherwise.
                var original = model.state_dict();
                foreach (var (key, weight) in imported.state_dict())
                {
                    using var expected = original[key].detach().to(dtype).to(ScalarType.Float32);
                    weight.allclose(expected, rtol: 0,
                        atol: 0).Should().BeTrue($"{name} {extension}: {key} comes back as it was written in {dtype}");
                }
                using var logits = WithoutGrad(() => imported.forward(idx));
                string @case = Path.Combine(dir, $"{name}-{dtype}{extension}.case.safetensors");
                SafeTensors.Write(@case, new Dictionary<string, Tensor> { ["idx"] = idx, ["logits"] = logits });
                pairs.AddRange([export, @case]);
            }
            Skip.IfNot(DebianPython.Has("torch"), $"{DebianPython.Path} has no torch (apt-get install python3-torch; CI installs it)");
            var (code, output) = RunReference(pairs);
            log.WriteLine(output.Trim());
            code.Should().Be(0, output);
            foreach (var (name, extension, dtype) in Cases)
                output.Should()
                    .MatchRegex($@"{Regex.Escape($"{name}-{dtype}{extension}")}: .*largest relative difference", "every export is checked");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    static Tensor WithoutGrad(Func<Tensor> f)
    {
        using (no_grad()) return f();
    }

    [Fact]
    public void TorchSharp_PyBridge_reads_the_safetensors_export_as_written()
    {
        string dir = Directory.CreateTempSubdirectory("lowrank-export-").FullName;
        try
        {
            using var model = TrainedModel(Config("factored-schedule-head"));
            string export = Path.Combine(dir, "m.safetensors");
            GptExport.Save(model, export, ScalarType.BFloat16);
            var theirs = TorchSharp.PyBridge.Safetensors.LoadStateDict(export);
            var ours = model.state_dict();
            theirs.Keys.Should().BeEquivalentTo(ours.Keys);
            foreach (var (key, weight) in ours)
            {
                theirs[key].dtype.Should().Be(ScalarType.BFloat16);
                theirs[key].to(ScalarType.Float32)
                    .allclose(weight.detach().to(ScalarType.BFloat16).to(ScalarType.Float32), rtol: 0,
                    atol: 0).Should().BeTrue(key);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_file_that_is_not_an_export_or_does_not_match_its_config_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("lowrank-export-").FullName;
        try
        {
            using var model = Gpt.Create(Tiny.Config(LinearVariant.Factored, 8, 8), seed: 1);
            string plain = Path.Combine(dir, "plain.safetensors");
            SafeTensors.Write(plain, model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter));
            FluentActions.Invoking(() =>
                GptExport.Load(plain)).Should().Throw<InvalidDataException>()
                .WithMessage("*has no MLNet.LowRank configuration*");

            string export = Path.Combine(dir, "m.safetensors");
            GptExport.Save(model, export);
            var (tensors, metadata) = SafeTensors.Read(export);
            tensors.Remove("lm_head.weight", out var head);
            head!.Dispose();
            string cut = Path.Combine(dir, "cut.safetensors");
            SafeTensors.Write(cut, tensors, metadata);
            FluentActions.Invoking(() =>
                GptExport.Load(cut)).Should().Throw<InvalidDataException>().WithMessage("*builds*parameters*holds*");

            FluentActions.Invoking(() => GptExport.Save(model,
                Path.Combine(dir, "m.onnx"))).Should().Throw<NotSupportedException>().WithMessage("*.safetensors*.pt*");
            FluentActions.Invoking(() => GptExport.Save(model, export,
                ScalarType.Int8)).Should().Throw<NotSupportedException>().WithMessage("*Int8*");
            File.WriteAllText(Path.Combine(dir, "junk.pt"), "not a pickle");
            FluentActions.Invoking(() =>
                GptExport.Load(Path.Combine(dir, "junk.pt"))).Should().Throw<InvalidDataException>()
                .WithMessage("*not a readable PyTorch state-dict*");

            metadata["config"] = metadata["config"].Replace("\"dim\":32", "\"dim\":65536");
            SafeTensors.Write(cut, tensors, metadata);
            FluentActions.Invoking(() =>
                GptExport.Load(cut)).Should().Throw<InvalidDataException>().WithMessage("*builds*parameters*");
            foreach (var t in tensors.Values) t.Dispose();
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    static (int Code, string Output) RunReference(IEnumerable<string> pairs) => DebianPython.Run(
        [Path.Combine(AppContext.BaseDirectory, "reference", "check_export.py"), .. pairs]);
}
