namespace MLNet.LowRank.Tests;

/// <summary>A fresh directory under the system's temporary folder, deleted with everything in it on Dispose, so the
/// suite leaves nothing behind however often it runs.</summary>
sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix) => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    public void Dispose()
    {
        // A process the test started may still hold a file for a moment (a killed sweep); a leftover is not a failure.
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
