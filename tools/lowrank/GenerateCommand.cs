// `lowrank generate`: continue a prompt with a saved model, printing the text as it is generated.
using System.CommandLine;
using Microsoft.ML;
using MLNet.LowRank.Generation;

namespace MLNet.LowRank.Cli;

static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "A saved model zip.", Required = true };
        var prompt = new Option<string>("--prompt")
        {
            Description = "Text to continue.",
            DefaultValueFactory = _ => "The",
        };
        var maxTokens = new Option<int>("--max-tokens")
        {
            Description = "Tokens to generate at most.",
            DefaultValueFactory = _ => 100,
        };
        var temperature = new Option<double>("--temperature")
        {
            Description = "0 = greedy.",
            DefaultValueFactory = _ => 0.8,
        };
        var topK = new Option<int>("--top-k")
        {
            Description = "Sample from the k most likely tokens (0 = all).",
            DefaultValueFactory = _ => 40,
        };
        var topP = new Option<double>("--top-p")
        {
            Description = "Sample from the most likely tokens whose probabilities add up to p (1 = all).",
            DefaultValueFactory = _ => 1.0,
        };
        var stop = new Option<string[]>("--stop")
        {
            Description = "Stop before this text (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var seed = new Option<int>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Generate text from a saved model, printed as it is generated.") { model,
            prompt, maxTokens, temperature, topK, topP, stop, seed };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxTokens), Temperature = parse.GetValue(temperature),
                    TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP), StopSequences = parse.GetValue(stop) ?? [], Seed = parse.GetValue(seed),
            };
            options.Validate(); // before the model is loaded
            using var lm = new MLContext().LowRank().LoadModel(parse.GetValue(model)!.FullName).GetLanguageModel();
            string p = parse.GetValue(prompt)!;
            Console.Write(p);
            await foreach (string piece in lm.GenerateStreamAsync(p, options, cancellation)) Console.Write(piece);
            Console.WriteLine();
            return 0;
        });
        return command;
    }
}
