// `lowrank export`: a saved model's weights as safetensors plus its JSON config, for PyTorch and other tools.
using System.CommandLine;
using Microsoft.ML;
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Cli;

static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "A model zip saved by train --save or mlContext.Model.Save.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The .safetensors file to write; the config goes beside it as .json.", Required = true };
        var command = new Command("export", "Write a saved model's weights as safetensors and its architecture as JSON (tools/reference/model.py loads them).") { model, output };
        command.SetAction(parse =>
        {
            var lm = new MLContext().LowRank().LoadModel(parse.GetValue(model)!.FullName).GetLanguageModel();
            string path = parse.GetValue(output)!.FullName;
            GptExport.Save(lm.Model, path);
            Console.WriteLine($"wrote {path} and {Path.ChangeExtension(path, ".json")} ({lm.Summary.TotalParameters:N0} parameters; tokenizer {lm.Tokenizer} is not part of the export)");
            lm.Dispose();
            return 0;
        });
        return command;
    }
}
