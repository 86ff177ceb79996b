// `lowrank export`: a saved model's weights as safetensors or a PyTorch state dict, its JSON config, and (for BPE
// vocabularies) its tokenizer as a .tiktoken file, for PyTorch and other tools.
using System.CommandLine;
using Microsoft.ML;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Model;
using static TorchSharp.torch;

namespace MLNet.LowRank.Cli;

static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model")
        {
            Description = "A model zip saved by train --save or mlContext.Model.Save.",
            Required = true,
        };
        var output = new Option<FileInfo>("--out")
        {
            Description = "The file to write: .safetensors, or .pt / .pth (torch.load reads it); the config goes " +
                "beside it as .json.",
            Required = true,
        };
        var dtype = new Option<string>("--dtype")
        {
            Description = "float32, float16 or bfloat16.",
            DefaultValueFactory = _ => "float32",
        };
        var command =
            new Command("export", "Write a saved model's weights (safetensors or PyTorch state dict), its " +
            "architecture as JSON and a BPE tokenizer as .tiktoken (tools/reference/model.py loads them).") { model,
            output, dtype };
        command.SetAction(parse =>
        {
            var type = parse.GetValue(dtype) switch
            {
                "float32" => ScalarType.Float32,
                "float16" => ScalarType.Float16,
                "bfloat16" => ScalarType.BFloat16,
                var other => throw new ArgumentException($"--dtype {other}: use float32, float16 or bfloat16."),
            };
            using var lm = new MLContext().LowRank().LoadModel(parse.GetValue(model)!.FullName).GetLanguageModel();
            string path = parse.GetValue(output)!.FullName;
            GptExport.Save(lm.Model, path, type);
            Console.WriteLine($"wrote {path} ({type}) " +
                $"and {Path.ChangeExtension(path, ".json")} ({lm.Summary.TotalParameters:N0} parameters)");
            if (lm.Tokenizer is TiktokenLmTokenizer bpe)
            {
                string vocabulary = Path.ChangeExtension(path, ".tiktoken");
                bpe.SaveTiktoken(vocabulary);
                Console.WriteLine($"wrote {vocabulary} (tokenizer {bpe}; BOS = id {bpe.BosId}, after the last rank)");
            }
            else Console
                .WriteLine($"tokenizer {lm.Tokenizer} is not written (byte-level: ids are the UTF-8 bytes, BOS " +
                $"= {lm.Tokenizer.BosId})");
            return 0;
        });
        return command;
    }
}
