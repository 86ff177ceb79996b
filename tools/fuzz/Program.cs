// lowrank-fuzz: feeds structure-aware mutations of every file kind the library reads (Targets.cs) to its readers, in a
// child process the supervisor watches. The property, per case: the file is accepted (and then works) or refused with a
// clear error, within a time limit, under a memory cap. A case that throws anything else, runs too long, outgrows the
// cap or kills the process is a finding; the supervisor records it and starts a new child at the next case. Cases are
// numbered and seeded, so `--seed S --from K --cases 1` replays case K exactly.
//
//   dotnet run --project tools/fuzz -c Release -- --seconds 60 [--seed 1] [--memory-mb 1536] [--case-seconds 10] [--report fuzz.json]
using System.Diagnostics;
using System.Globalization;
using MLNet.LowRank.Fuzz;

var options = Arguments.Parse(args);
if (options.Child) return Child.Run(options);
return Supervisor.Run(options);

sealed record Arguments(bool Child, int Seed, int From, int Cases, double Seconds, int MemoryMb, double CaseSeconds,
    string Work, string? Report, bool Hostile = false)
{
    /// <summary>The kinds this run goes round: the mutated files, or (--hostile) special files, inflation bombs,
    /// identifiers that name paths and budgets at their numeric edges — a separate list, so a file kind's case numbers
    /// (replays) do not move.</summary>
    public IReadOnlyList<Target> Targets => Hostile ? Target.Hostile : Target.All;

    public static Arguments Parse(string[] args)
    {
        var a = new Arguments(false, 1, 0, int.MaxValue, 60, 1536, 10,
            Path.Combine(Path.GetTempPath(), "lowrank-fuzz"), null);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Real() => double.Parse(Next(), CultureInfo.InvariantCulture);
            a = args[i] switch
            {
                "--child" => a with { Child = true },
                "--seed" => a with { Seed = Int() },
                "--from" => a with { From = Int() },
                "--cases" => a with { Cases = Int() },
                "--seconds" => a with { Seconds = Real() },
                "--memory-mb" => a with { MemoryMb = Int() },
                "--case-seconds" => a with { CaseSeconds = Real() },
                "--work" => a with { Work = Next() },
                "--report" => a with { Report = Next() },
                "--hostile" => a with { Hostile = true },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'. Use --seconds, --seed, --from, " +
                    $"--cases, --memory-mb, --case-seconds, --work, --report, --hostile."),
            };
        }
        return a;
    }

    /// <summary>The case's generator: fixed by the seed and the case number alone.</summary>
    public Random RandomFor(int index) => new(unchecked(Seed * 1_000_003 + index));
}

/// <summary>The child: makes the seeds, then runs cases from --from until --cases or the time is up, one line
/// each.</summary>
static class Child
{
    public static int Run(Arguments a)
    {
        var seeds = Seeds.Make(Path.Combine(a.Work, "seeds"));
        string caseDir = Path.Combine(a.Work, $"case-{Environment.ProcessId}");
        var deadline = DateTime.UtcNow.AddSeconds(a.Seconds);
        Console.Out.Flush();
        for (int index = a.From; index - a.From < a.Cases && DateTime.UtcNow < deadline; index++)
        {
            var target = a.Targets[index % a.Targets.Count];
            if (Directory.Exists(caseDir)) Directory.Delete(caseDir, recursive: true);
            Directory.CreateDirectory(caseDir);
            string what = target.Mutate(a.RandomFor(index), seeds, caseDir);
            Console.WriteLine($"case {index} {target.Kind} | {what}");
            Console.Out.Flush();
            string outcome;
            try { target.Exercise(seeds, caseDir); outcome = "accepted"; }
            catch (Exception e) when (target.IsRefusal(e)) { outcome = "refused"; }
            catch (Exception e) { outcome = $"FINDING {e.GetType().FullName}: {e.Message.Split('\n')[0]} @ {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}"; }
            Console.WriteLine($"done {index} {outcome}");
            Console.Out.Flush();
        }
        Console.WriteLine("end");
        try { Directory.Delete(caseDir, recursive: true); } catch (IOException) { }
        return 0;
    }
}

/// <summary>The supervisor: runs children under the limits, restarts after a finding that ended one, and
/// reports.</summary>
static class Supervisor
{
    sealed record Finding(int Case, string Kind, string Mutation, string What);

    public static int Run(Arguments a)
    {
        Directory.CreateDirectory(a.Work);
        var started = Stopwatch.StartNew();
        var counts = a.Targets.ToDictionary(t => t.Kind, _ => new int[3]); // accepted, refused, findings
        var findings = new List<Finding>();
        long peakRss = 0;
        int next = a.From, ran = 0;
        while (started.Elapsed.TotalSeconds < a.Seconds && ran < a.Cases)
        {
            double left = a.Seconds - started.Elapsed.TotalSeconds;
            // The same program again: `dotnet LowRank.Fuzz.dll …` or the apphost.
            var info = new ProcessStartInfo(Environment.ProcessPath!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
                info.ArgumentList.Add(typeof(Supervisor).Assembly.Location);
            foreach (var s in new[] { "--child", "--seed", a.Seed.ToString(CultureInfo.InvariantCulture), "--from",
                next.ToString(CultureInfo.InvariantCulture),
                "--cases", (a.Cases - ran).ToString(CultureInfo.InvariantCulture), "--seconds",
                    left.ToString("R", CultureInfo.InvariantCulture), "--work", a.Work })
                info.ArgumentList.Add(s);
            if (a.Hostile) info.ArgumentList.Add("--hostile");
            // The managed heap gets most of the cap, so a managed over-allocation fails inside the case, where it is
            // seen.
            info.Environment["DOTNET_GCHeapHardLimit"] = "0x" + ((long)a.MemoryMb * 3 / 4 << 20).ToString("x",
                CultureInfo.InvariantCulture);
            using var child = Process.Start(info)!;
            var stderr = child.StandardError.ReadToEndAsync();
            int current = -1;
            string kind = "", mutation = "";
            var caseStarted = Stopwatch.StartNew();
            string? killedFor = null;
            bool ended = false;
            var watch = new Thread(() =>
            {
                while (!child.HasExited)
                {
                    long rss = ResidentBytes(child.Id);
                    Interlocked.Exchange(ref peakRss, Math.Max(Interlocked.Read(ref peakRss), rss));
                    if (rss > (long)a.MemoryMb << 20) { killedFor = $"resident memory {rss >> 20} MB passed the cap " +
                        $"of {a.MemoryMb} MB"; Kill(child); break; }
                    if (Volatile.Read(ref current) >= 0
                        && caseStarted.Elapsed.TotalSeconds > a.CaseSeconds) { killedFor = $"still running " +
                        $"after {a.CaseSeconds:0.#} s"; Kill(child); break; }
                    Thread.Sleep(20);
                }
            }) { IsBackground = true };
            watch.Start();
            while (child.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("case ", StringComparison.Ordinal))
                {
                    var head = line[5..].Split(' ', 2);
                    var rest = head[1].Split(" | ", 2);
                    (kind, mutation) = (rest[0], rest.Length > 1 ? rest[1] : "");
                    caseStarted.Restart();
                    Volatile.Write(ref current, int.Parse(head[0], CultureInfo.InvariantCulture));
                }
                else if (line.StartsWith("done ", StringComparison.Ordinal))
                {
                    var parts = line[5..].Split(' ', 2);
                    string outcome = parts[1];
                    int slot = outcome == "accepted" ? 0 : outcome == "refused" ? 1 : 2;
                    counts[kind][slot]++;
                    if (slot == 2) findings.Add(new Finding(current, kind, mutation, outcome["FINDING ".Length..]));
                    ran++;
                    next = current + 1;
                    Volatile.Write(ref current, -1);
                }
                else if (line == "end") ended = true;
            }
            child.WaitForExit();
            watch.Join();
            if (ended) break;
            if (current >= 0)
            {
                // The child died (or was killed) inside a case: that case is a finding, and the next child goes on
                // after it.
                string why = killedFor ?? $"the process died (exit code {child.ExitCode}): {LastLine(stderr.Result)}";
                counts[kind][2]++;
                findings.Add(new Finding(current, kind, mutation, why));
                ran++;
                next = current + 1;
            }
            else if (killedFor is null && !ended)
            {
                Console.Error
                    .WriteLine($"lowrank-fuzz: the child stopped outside a case (exit " +
                    $"code {child.ExitCode}): {LastLine(stderr.Result)}");
                return 2;
            }
        }

        Console.WriteLine($"lowrank-fuzz: seed {a.Seed}, " +
            $"cases {a.From}–{next - 1}, {started.Elapsed.TotalSeconds:F0} s, memory cap {a.MemoryMb} MB (peak " +
            $"resident {Interlocked.Read(ref peakRss) >> 20} MB), {a.CaseSeconds:0.#} s per case");
        Console.WriteLine($"{"kind",-16} {"cases",6} {"accepted",9} {"refused",8} {"findings",9}");
        foreach (var (k, c) in counts) Console.WriteLine($"{k,-16} {c.Sum(),6} {c[0],9} {c[1],8} {c[2],9}");
        Console.WriteLine($"{"total",-16} {counts.Values.Sum(c => c.Sum()),6} {counts.Values.Sum(c => c[0]),9} {counts.Values.Sum(c => c[1]),8} {findings.Count,9}");
        foreach (var f in findings) Console
            .WriteLine($"FINDING case {f.Case} ({f.Kind}; {f.Mutation}): {f.What}   replay: " +
            $"--seed {a.Seed} --from {f.Case} --cases 1");
        if (a.Report is { } report)
            File.WriteAllText(report, System.Text.Json.JsonSerializer.Serialize(new
            {
                seed = a.Seed, seconds = started.Elapsed.TotalSeconds, memoryCapMb = a.MemoryMb,
                    peakResidentMb = Interlocked.Read(ref peakRss) >> 20,
                kinds = counts.ToDictionary(kv => kv.Key, kv => new { cases = kv.Value.Sum(), accepted = kv.Value[0],
                    refused = kv.Value[1], findings = kv.Value[2] }),
                findings,
            }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return findings.Count == 0 ? 0 : 1;
    }

    static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    static void Kill(Process p)
    {
        try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    static string LastLine(string text) => text.Split('\n',
        StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "(no output)";
}
