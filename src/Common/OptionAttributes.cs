// How an option declares what it is, next to its one declaration (GptConfig, TrainingOptions, the trainer's Options):
// the option table (Estimators/OptionTable.cs) reads these, so no list of names is kept anywhere else.
namespace MLNet.LowRank;

/// <summary>Marks an option that says how a run executes, reports or persists — threads, progress, checkpoints, pausing
/// — not what it computes: it is no part of a trial's identity or a checkpoint's fingerprint, and no sweep dimension.
/// Everything not so marked changes the trained numbers (or the recorded metrics) and identifies a trial.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RunSettingAttribute : Attribute;

/// <summary>Marks a member that is not set by the user but taken from the data (the vocabulary size, from the
/// tokenizer): it is not an option, though the model records it.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class FromDataAttribute : Attribute;

/// <summary>The text that stands for null in an optional option's value (default "none"), where null has a meaning
/// worth naming — <c>DataSeed</c>'s null is "seed": the initialisation seed.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NullTextAttribute(string text) : Attribute
{
    /// <summary>The text written for null and read back as null.</summary>
    public string Text { get; } = text;
}
