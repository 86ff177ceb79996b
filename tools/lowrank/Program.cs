// lowrank — the command-line front end. Each command lives in its own file (CliRoot lists them); this one runs the
// command and turns a user's mistake into one line and exit code 2, an interruption (Ctrl-C, SIGTERM) into one line and
// exit code 130 (what finished is kept: trial records, checkpoints), and running out of memory into one line and 3.
using System.CommandLine;
using MLNet.LowRank.Cli;

var root = CliRoot.Create();
try
{
    var parsed = root.Parse(args);
    // A flag's value that does not parse is a user's mistake like any other: one line per error, in words
    // (System.CommandLine would name .NET types: "as expected type 'System.Nullable`1[System.Int32]'"), and exit code
    // 2.
    if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
    {
        foreach (var error in parsed.Errors) Console.Error.WriteLine($"lowrank: {ParseErrors.InWords(error.Message)}");
        Console.Error
            .WriteLine($"See: lowrank {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')))} --help".Replace("  ", " "));
        return 2;
    }
    // Ctrl-C and SIGTERM cancel the command's token; training then writes its checkpoint before exiting, so allow time.
    return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(2),
        EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException
    or NotSupportedException or FormatException or OverflowException or System.Text.Json.JsonException or DllNotFoundException)
{
    // Bad input: the message names the problem and the fix; a stack trace would only bury it.
    string message = e.Message.Split('\n')[0];
    int parameter = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
    Console.Error.WriteLine($"lowrank: {(parameter > 0 ? message[..parameter] : message)}");
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error
        .WriteLine("lowrank: interrupted. What finished is kept (trial records, checkpoints of runs under way); run " +
        "the same command to resume.");
    return 130;
}
catch (Exception e) when (IsOutOfMemory(e))
{
    Console.Error
        .WriteLine($"lowrank: out of memory ({e.Message.Split('\n')[0]}). Use a smaller model, BatchSize or " +
        $"SequenceLength (or raise GradientAccumulationSteps), or free memory; what finished is kept.");
    return 3;
}

// Out of memory, managed or libtorch's (whose allocators say so in their own words), also when a parallel loop wraps
// it; anything else native is a real error and keeps its trace.
static bool IsOutOfMemory(Exception e) => e switch
{
    OutOfMemoryException => true,
    System.Runtime.InteropServices.ExternalException x => IsNativeOutOfMemory(x.Message),
    AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsOutOfMemory),
    _ => false,
};

// libtorch's allocators say so in their own words; anything else native is a real error and keeps its trace.
static bool IsNativeOutOfMemory(string message) =>
    message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) || message.Contains("can't allocate memory",
    StringComparison.OrdinalIgnoreCase)
    || message.Contains("DefaultCPUAllocator", StringComparison.Ordinal);
