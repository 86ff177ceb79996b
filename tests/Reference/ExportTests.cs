// Export that PyTorch reads: a trained model written by GptExport (safetensors + JSON config) loads into the
// independent reference and gives the library's logits; it imports back into the library exactly; bad files are refused.
using System.Diagnostics;
using MLNet.LowRank.Model;
using MLNet.LowRank.Training;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Reference;

public class ExportTests(Xunit.Abstractions.ITestOutputHelper log)
{
    const string Python = "/usr/bin/python3";

    static Gpt TrainedModel(GptConfig config)
    {
        var model = Gpt.Create(config, seed: 3);
        LmTrainer.Train(model, Tiny.Stream(), null, Tiny.BytesPerToken, Tiny.Options(8));   // a non-zero head and projections
        return model;
    }

    static GptConfig Config(string name) => name switch
    {
        "dense" => Tiny.Config(LinearVariant.Dense),
        "factored-schedule-head" => Tiny.Config(LinearVariant.Factored, RankSchedule.Linear(4, 12), 8) with { HeadRank = 8 },
        "diagonal" => Tiny.Config(LinearVariant.FactoredDiagonal, 8, 8),
        _ => Tiny.Config(LinearVariant.Cola, 8, null),
    };

    [SkippableTheory]
    [InlineData("dense")]
    [InlineData("factored-schedule-head")]
    [InlineData("diagonal")]
    [InlineData("cola-attention-only")]
    public void An_export_reproduces_the_logits_in_the_pytorch_reference_and_imports_back(string name)
    {
        var config = Config(name);
        string dir = Directory.CreateTempSubdirectory("lowrank-export-").FullName;
        try
        {
            using var model = TrainedModel(config);
            string export = Path.Combine(dir, name + ".safetensors");
            GptExport.Save(model, export);
            File.Exists(Path.ChangeExtension(export, ".json")).Should().BeTrue("the config is written beside the weights");

            var random = new Random(1);
            using var idx = tensor(Enumerable.Range(0, 2 * 16).Select(_ => (long)random.Next(Tiny.Vocab)).ToArray(), 2, 16);
            Tensor logits;
            using (no_grad()) logits = model.forward(idx);
            using (var imported = GptExport.Load(export))
            using (no_grad())
            using (var again = imported.forward(idx))
                again.allclose(logits, rtol: 0, atol: 0).Should().BeTrue("import restores every weight exactly");

            string @case = Path.Combine(dir, "case.safetensors");
            SafeTensors.Write(@case, new Dictionary<string, Tensor> { ["idx"] = idx, ["logits"] = logits });
            Skip.IfNot(PythonHasTorch(), $"{Python} has no torch (apt-get install python3-torch; CI installs it)");
            var (code, output) = RunReference(export, @case);
            code.Should().Be(0, output);
            output.Should().Contain("largest relative difference");
            log.WriteLine($"{name}: {output.Trim()}");
            logits.Dispose();
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
            FluentActions.Invoking(() => GptExport.Load(plain)).Should().Throw<InvalidDataException>().WithMessage("*without an MLNet.LowRank configuration*");

            string export = Path.Combine(dir, "m.safetensors");
            GptExport.Save(model, export);
            var (tensors, metadata) = SafeTensors.Read(export);
            tensors.Remove("lm_head.weight", out var head);
            head!.Dispose();
            string cut = Path.Combine(dir, "cut.safetensors");
            SafeTensors.Write(cut, tensors, metadata);
            FluentActions.Invoking(() => GptExport.Load(cut)).Should().Throw<InvalidDataException>().WithMessage("*builds*parameters*holds*");

            metadata["config"] = metadata["config"].Replace("\"dim\":32", "\"dim\":65536");
            SafeTensors.Write(cut, tensors, metadata);
            FluentActions.Invoking(() => GptExport.Load(cut)).Should().Throw<InvalidDataException>().WithMessage("*builds*parameters*");
            foreach (var t in tensors.Values) t.Dispose();
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    static bool PythonHasTorch()
    {
        if (!File.Exists(Python)) return false;
        using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit(60_000);
        return p.ExitCode == 0;
    }

    static (int Code, string Output) RunReference(string export, string @case)
    {
        var info = new ProcessStartInfo(Python, [Path.Combine(AppContext.BaseDirectory, "reference", "check_export.py"), export, @case])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit(120_000).Should().BeTrue();
        return (p.ExitCode, output);
    }
}
