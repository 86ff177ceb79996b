// Relative differences between the library and the reference, worst per group (logits, loss, gradients, ...), for the
// test's message and for CI's log (LOWRANK_PARITY_REPORT names a file the table is appended to).
using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace MLNet.LowRank.Tests.Reference;

sealed class ParityReport(string fixture)
{
    static readonly object FileLock = new();
    readonly SortedDictionary<string, (double Relative, string Where)> worst = new(StringComparer.Ordinal);

    /// <summary>The largest relative difference seen in any group.</summary>
    public double Worst => worst.Count == 0 ? double.NaN : worst.Values.Max(v => v.Relative);

    /// <summary>max|ours − reference| ÷ max|reference| (absolute when the reference is all zero).</summary>
    public void Compare(string group, Tensor ours, Tensor reference, string? name = null)
    {
        ours.shape.Should().Equal(reference.shape, $"{group} {name}: shapes");
        using var a = ours.detach().to(ScalarType.Float64).cpu();
        using var b = reference.to(ScalarType.Float64);
        double diff = (a - b).abs().max().item<double>();
        double scale = b.abs().max().item<double>();
        Record(group, scale > 0 ? diff / scale : diff, name ?? group);
    }

    public void Compare(string group, double ours, double reference) =>
        Record(group, Math.Abs(ours - reference) / Math.Max(Math.Abs(reference), double.Epsilon), group);

    void Record(string group, double relative, string where)
    {
        if (double.IsNaN(relative)) relative = double.PositiveInfinity;
        if (!worst.TryGetValue(group, out var w) || relative > w.Relative) worst[group] = (relative, where);
    }

    public override string ToString()
    {
        var s = new StringBuilder();
        foreach (var (group, (rel, where)) in worst)
            s.AppendLine(CultureInfo.InvariantCulture, $"{fixture,-22} {group,-16} {rel,10:0.0e+00}  ({where})");
        return s.ToString();
    }

    /// <summary>Appends the table to the file LOWRANK_PARITY_REPORT names, if it names one.</summary>
    public static void Append(ParityReport report)
    {
        string? path = Environment.GetEnvironmentVariable("LOWRANK_PARITY_REPORT");
        if (string.IsNullOrEmpty(path)) return;
        lock (FileLock) File.AppendAllText(path, report.ToString());
    }
}
