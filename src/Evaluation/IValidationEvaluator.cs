// The plug-in point for what training evaluates periodically (and what time to threshold is measured on). The
// built-in ValidationDocuments scores documents by the final metric's definition; implement this for another one.
using MLNet.LowRank.Model;

namespace MLNet.LowRank.Evaluation;

/// <summary>Scores a model on held-out data during training.</summary>
public interface IValidationEvaluator
{
    /// <summary>Σ NLL, predicted tokens and bytes of the held-out data under <paramref name="model"/>.</summary>
    EvalResult Evaluate(Gpt model);

    /// <summary>A stable description of the data and the rule that chose it; checkpoints refuse to resume when it
    /// changes.</summary>
    string Identity { get; }
}
