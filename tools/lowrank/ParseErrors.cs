// System.CommandLine's parse errors name .NET types ("as expected type 'System.Nullable`1[System.Int32]'"); a user
// needs the kind of value and its range instead.
using System.Text.RegularExpressions;

namespace MLNet.LowRank.Cli;

static partial class ParseErrors
{
    public static string InWords(string message) => ExpectedType().Replace(message,
        m => "as " + Kind(m.Groups[1].Value));

    static string Kind(string type) => Unwrap(type) switch
    {
        "System.Int32" => "a whole number from −2,147,483,648 to 2,147,483,647",
        "System.Int64" => "a whole number",
        "System.Double" or "System.Single" => "a number (with a dot for decimals)",
        "System.Boolean" => "true or false",
        "System.IO.FileInfo" => "a file path",
        "System.IO.DirectoryInfo" => "a folder path",
        "System.TimeSpan" => "a duration (hh:mm:ss)",
        var other => $"a value of the right kind ({other.Split('.')[^1]})",
    };

    static string Unwrap(string type) => NullableOf().Match(type) is { Success: true } m ? m.Groups[1].Value : type;

    [GeneratedRegex(@"as expected type '([^']+)'")]
    private static partial Regex ExpectedType();

    [GeneratedRegex(@"^System\.Nullable`1\[(.+)\]$")]
    private static partial Regex NullableOf();
}
