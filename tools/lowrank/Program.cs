// lowrank — the command-line front end. Each command lives in its own file (CliRoot lists them); this one runs the
// command and turns a user's mistake into one line and exit code 2.
using System.CommandLine;
using MLNet.LowRank.Cli;

var root = CliRoot.Create();
try
{
    // Ctrl-C and SIGTERM cancel the command's token; training then writes its checkpoint before exiting, so allow time.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(2), EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException
    or NotSupportedException or FormatException or OverflowException or System.Text.Json.JsonException)
{
    // Bad input: the message names the problem and the fix; a stack trace would only bury it.
    string message = e.Message.Split('\n')[0];
    int parameter = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
    Console.Error.WriteLine($"lowrank: {(parameter > 0 ? message[..parameter] : message)}");
    return 2;
}
