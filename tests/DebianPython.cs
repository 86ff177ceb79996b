// Debian's own interpreter (/usr/bin/python3, not the first python3 on PATH), where apt installs python3-torch and
// python3-scipy: the tests that check the library or the study from outside run their scripts with it, and skip when
// the module they need is missing (CI installs both).
using System.Diagnostics;

namespace MLNet.LowRank.Tests;

static class DebianPython
{
    public const string Path = "/usr/bin/python3";

    /// <summary>Whether the interpreter exists and imports every one of <paramref name="modules"/>.</summary>
    public static bool Has(params string[] modules)
    {
        if (!File.Exists(Path)) return false;
        var (code, _) = Run(["-c", $"import {string.Join(", ", modules)}"]);
        return code == 0;
    }

    /// <summary>Runs the interpreter with <paramref name="arguments"/>; its exit code and its output and errors
    /// (both read as they come, so a chatty script cannot block on a full pipe).</summary>
    public static (int Code, string Output) Run(IEnumerable<string> arguments)
    {
        using var p = Process.Start(new ProcessStartInfo(Path, arguments)
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit(120_000).Should().BeTrue($"{Path} {string.Join(' ', arguments)} should end within 2 minutes");
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
