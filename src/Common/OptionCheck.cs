// The one way an invalid option is reported: its name, the rule it breaks, and the value given.
namespace MLNet.LowRank.Common;

internal static class OptionCheck
{
    /// <summary>Throws "<paramref name="option"/> <paramref name="rule"/>; got <paramref name="value"/>." unless
    /// <paramref name="ok"/>.</summary>
    public static void Require(bool ok, string option, object value, string rule)
    {
        if (!ok) throw new ArgumentOutOfRangeException(option, value, $"{option} {rule}; got {value}.");
    }
}
