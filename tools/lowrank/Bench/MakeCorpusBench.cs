// `lowrank bench make-corpus`: a large deterministic JSONL corpus for corpora-larger-than-memory benchmarks.
using System.CommandLine;
using System.Globalization;

namespace MLNet.LowRank.Cli.Bench;

static class MakeCorpusBench
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var gigabytes = new Option<double>("--gigabytes")
        {
            Description = "Size of the JSONL to write.",
            DefaultValueFactory = _ => 1.0,
        };
        var output = new Option<FileInfo>("--out") { Description = "The .jsonl file to write.", Required = true };
        var command =
            new Command("make-corpus", "Write a large deterministic JSONL corpus (the embedded Brown corpus " +
            "repeated, each copy's words rotated differently) for memory and throughput benchmarks of corpora larger " +
            "than memory.") { gigabytes, output };
        command.SetAction(parse =>
        {
            var docs = Data.BrownCorpus.Load();
            long target = (long)(parse.GetValue(gigabytes) * 1e9), written = 0;
            using var file = new StreamWriter(parse.GetValue(output)!.FullName, false,
                new System.Text.UTF8Encoding(false), 1 << 20);
            for (int copy = 0; written < target; copy++)
                foreach (var d in docs)
                {
                    var words = d.Text.Split(' ');
                    int shift = copy % Math.Max(1, words.Length);
                    string text = string.Join(' ', words[shift..].Concat(words[..shift]));
                    string line = System.Text.Json.JsonSerializer.Serialize(new { id = $"{copy}-{d.Id}", text });
                    file.WriteLine(line);
                    written += System.Text.Encoding.UTF8.GetByteCount(line) + 1;
                    if (written >= target) break;
                }
            Console.WriteLine(string.Create(Ci, $"wrote {parse.GetValue(output)!.FullName}: {written / 1e9:F2} GB"));
            return 0;
        });
        return command;
    }
}
