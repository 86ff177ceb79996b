// One way every benchmark reports its rows: a Markdown table on screen (figures rounded for reading) and, where the
// user asked with --csv, the same rows as CSV (figures in round-trip form, text quoted where it needs to be).
using System.Globalization;

namespace MLNet.LowRank.Cli.Bench;

sealed class ResultTable<T>
{
    static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    readonly List<(string Header, string CsvName, bool Right, Func<T, string> Shown, Func<T, string> Value)> columns =
        [];

    /// <summary>A column: its Markdown header, its CSV name, the text shown and (if different) the CSV value.</summary>
    public ResultTable<T> Column(string header, string csvName, Func<T, string> shown, Func<T, string>? value = null,
        bool right = true)
    {
        columns.Add((header, csvName, right, shown, value ?? shown));
        return this;
    }

    /// <summary>A text column (left-aligned).</summary>
    public ResultTable<T> Text(string header, string csvName, Func<T, string> text) => Column(header, csvName, text,
        right: false);

    /// <summary>A number shown in <paramref name="format"/> and written in round-trip form.</summary>
    public ResultTable<T> Number(string header, string csvName, Func<T, double> value, string format) =>
        Column(header, csvName, r => value(r).ToString(format, Ci), r => value(r).ToString("R", Ci));

    public void Print(IEnumerable<T> rows)
    {
        Console.WriteLine("| " + string.Join(" | ", columns.Select(c => c.Header)) + " |");
        Console.WriteLine("|" + string.Concat(columns.Select(c => c.Right ? "---:|" : "---|")));
        foreach (var r in rows) Console.WriteLine("| " + string.Join(" | ", columns.Select(c => c.Shown(r))) + " |");
    }

    /// <summary>Writes the rows as CSV to <paramref name="path"/> (atomically) when one is given.</summary>
    public void WriteCsv(FileInfo? path, IEnumerable<T> rows)
    {
        if (path is null) return;
        static string Cell(string v) => v.Contains(',') || v.Contains('"') || v.Contains(' ')
            ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
        var lines = rows.Select(r => string.Join(",", columns.Select(c => Cell(c.Value(r)))));
        Common.AtomicFile.WriteText(path.FullName,
            string.Join(",", columns.Select(c => c.CsvName)) + "\n" + string.Join("\n", lines) + "\n");
        Console.WriteLine($"wrote {path.FullName}");
    }

    /// <summary>Prints the table and writes its CSV where asked.</summary>
    public void Report(IReadOnlyList<T> rows, FileInfo? csv)
    {
        Print(rows);
        WriteCsv(csv, rows);
    }
}
