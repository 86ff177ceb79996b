// `lowrank generate`: continue a prompt with a saved model.
using System.CommandLine;
using Microsoft.ML;

namespace MLNet.LowRank.Cli;

static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "A saved model zip.", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", DefaultValueFactory = _ => "The" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate at most.", DefaultValueFactory = _ => 100 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy.", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int>("--top-k") { Description = "Sample from the k most likely tokens (0 = all).", DefaultValueFactory = _ => 40 };
        var seed = new Option<int>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Generate text from a saved model.") { model, prompt, maxTokens, temperature, topK, seed };
        command.SetAction(parse =>
        {
            var loaded = new MLContext().LowRank().LoadModel(parse.GetValue(model)!.FullName).GetLanguageModel();
            string p = parse.GetValue(prompt)!;
            Console.WriteLine(p + loaded.Generate(p, parse.GetValue(maxTokens), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed)));
            loaded.Dispose();
            return 0;
        });
        return command;
    }
}
