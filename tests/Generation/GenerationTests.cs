using MLNet.LowRank.Generation;
using MLNet.LowRank.Model;
using TorchSharp;

namespace MLNet.LowRank.Tests.Generation;

public class GenerationTests(TrainedTinyModel fixture) : IClassFixture<TrainedTinyModel>
{
    static readonly string[] Prompts = ["Document 3: the", "Caf", "",
        new string('x', 50) + " quick brown fox jumps"]; // the last is longer than the context (32)
    static readonly GenerationOptions Long = new() { MaxNewTokens = 90, StopAtEndOfDocument = false, Temperature = 0 };

    [Fact]
    public void Cached_decoding_reproduces_the_full_forward_logits()
    {
        var model = fixture.Lm.Model;
        long[] ids = [0, 68, 111, 99, 117, 109, 101, 110, 116, 32, 51, 58];
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var full = model.forward(torch.tensor(ids, 1, ids.Length)); // (1, 12, vocab)
        using var cache = new KeyValueCache(model, batch: 2);
        // Row 1 gets the first 5 tokens by prefill, then one token at a time; row 0 is padding that must not interfere.
        var prefill = model.Prefill(torch.tensor(ids[..5], 1, 5), [1], torch.tensor(new long[] { 4 }), cache);
        (prefill[0] - full[0, 4]).abs().max().item<float>().Should().BeLessThan(1e-5f);
        for (int p = 5; p < ids.Length; p++)
        {
            var logits = model.Decode(torch.tensor(new long[] { 0, ids[p] }, 2, 1), [0, p], cache);
            (logits[1] - full[0, p]).abs().max().item<float>().Should().BeLessThan(1e-5f, $"position {p}");
        }
    }

    [Theory]
    [InlineData(1e-30)]
    [InlineData(double.Epsilon)]
    public void A_temperature_near_zero_samples_the_greedy_tokens_instead_of_failing_on_NaN(double temperature)
    {
        var greedy = fixture.Lm.Generate(Prompts, Long with { MaxNewTokens = 20 });
        var cold = fixture.Lm.Generate(Prompts, Long with { MaxNewTokens = 20, Temperature = temperature, Seed = 4 });
        cold.Select(g => g.TokenIds).Should().BeEquivalentTo(greedy.Select(g => g.TokenIds),
            o => o.WithStrictOrdering());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Generation_makes_no_tensor_outside_a_dispose_scope_per_token(bool cache)
    {
        // A tensor made outside every dispose scope is freed by the finalizer thread, possibly while libtorch reads it;
        // whatever a generation call sets up once, the number of such tensors must not grow with the tokens generated.
        var options = Long with { UseCache = cache, Temperature = 0.8, TopK = 20, TopP = 0.9, Seed = 3 };
        long Outside(int tokens)
        {
            long before = DisposeScopeManager.Statistics.CreatedOutsideScopeCount;
            fixture.Lm.Generate(Prompts, options with { MaxNewTokens = tokens });
            return DisposeScopeManager.Statistics.CreatedOutsideScopeCount - before;
        }
        Outside(60).Should().Be(Outside(5));
    }

    [Fact]
    public void Cached_and_uncached_generation_give_the_same_greedy_tokens_past_the_context()
    {
        var cached = fixture.Lm.Generate(Prompts, Long);
        var uncached = fixture.Lm.Generate(Prompts, Long with { UseCache = false });
        for (int i = 0; i < Prompts.Length; i++)
        {
            cached[i].TokenIds.Should()
                .HaveCount(90, "90 tokens run well past the 32-token context, through several window restarts");
            cached[i].TokenIds.Should().Equal(uncached[i].TokenIds, $"prompt {i}");
            cached[i].Reason.Should().Be(FinishReason.Length);
        }
    }

    [Fact]
    public void A_prompt_gets_the_same_sampled_text_alone_or_in_a_batch_and_the_seed_decides_it()
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = 60,
            Temperature = 1.0,
            TopK = 20,
            TopP = 0.95,
            Seed = 11,
            StopAtEndOfDocument = false,
        };
        var batch = fixture.Lm.Generate(Prompts, options);
        for (int i = 0; i < Prompts.Length; i++)
            batch[i].TokenIds.Should().Equal(fixture.Lm.Generate(Prompts[i], options).TokenIds, $"prompt {i}");
        fixture.Lm.Generate(Prompts[0], options).Text.Should().Be(batch[0].Text);
        Enumerable.Range(0,
            4).Select(s => fixture.Lm.Generate(Prompts[0],
            options with { Seed = s }).Text).Distinct().Count().Should().BeGreaterThan(1);
    }

    [Fact]
    public void Top_k_one_and_a_tiny_top_p_are_greedy()
    {
        var greedy = fixture.Lm.Generate(Prompts[0], Long with { MaxNewTokens = 40 }).TokenIds;
        var sampled = Long with { MaxNewTokens = 40, Temperature = 1.3, Seed = 5 };
        fixture.Lm.Generate(Prompts[0], sampled with { TopK = 1 }).TokenIds.Should().Equal(greedy);
        fixture.Lm.Generate(Prompts[0], sampled with { TopK = 0, TopP = 1e-6 }).TokenIds.Should().Equal(greedy);
        fixture.Lm.Generate(Prompts[0],
            sampled with { TopK = 0 }).TokenIds.Should()
            .NotEqual(greedy, "at temperature 1.3 over the whole vocabulary 40 draws do not all hit the argmax");
    }

    [Fact]
    public void A_stop_sequence_ends_the_text_before_it()
    {
        var free = fixture.Lm.Generate(Prompts[0], Long with { MaxNewTokens = 60 });
        string stop = free.Text.Substring(10, 2);
        var stopped = fixture.Lm.Generate(Prompts[0], Long with { MaxNewTokens = 60, StopSequences = [stop] });
        stopped.Reason.Should().Be(FinishReason.StopSequence);
        stopped.Text.Should().Be(free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)]);
        stopped.TokenIds.Count.Should().BeLessThan(free.TokenIds.Count);
    }

    [Fact]
    public void The_stream_adds_up_to_the_generated_text()
    {
        foreach (var options in new[]
        {
            new GenerationOptions { MaxNewTokens = 80, Temperature = 1.0, Seed = 2, StopAtEndOfDocument = false },
            Long with { MaxNewTokens = 60, StopSequences = ["the", "e o"] },
        })
        {
            var pieces = ToList(fixture.Lm.GenerateStreamAsync(Prompts[1], options));
            pieces.Should().HaveCountGreaterThan(3, "text arrives as it is generated");
            string.Concat(pieces).Should().Be(fixture.Lm.Generate(Prompts[1], options).Text);
        }
    }

    [Fact]
    public void Streamed_text_holds_back_a_partial_character_and_a_possible_stop_sequence()
    {
        var tokenizer = new MLNet.LowRank.Data.Tokenizers.ByteLevelTokenizer();
        var text = new StreamedText(tokenizer, ["<e"]);
        var taken = new List<string>();
        foreach (int id in tokenizer.Encode("aé🚀<b<e"))
        {
            if (text.Add(id)) break;
            taken.Add(text.TakeFinal(finished: false));
        }
        taken.Add(text.TakeFinal(finished: true));
        taken.Should().Equal("a", "", "é", "", "", "", "🚀", "", "<b", "", "");
        text.Text.Should().Be("aé🚀<b");
    }

    [Fact]
    public async Task A_cancelled_stream_stops()
    {
        using var cancel = new CancellationTokenSource();
        var options = Long with { MaxNewTokens = 100_000 };
        var act = async () =>
        {
            int n = 0;
            await foreach (var _ in fixture.Lm.GenerateStreamAsync("The", options, cancel.Token))
                if (++n == 5) cancel.Cancel();
        };
        await act.Should().ThrowAsync<OperationCanceledException>();
        fixture.Lm.Generate("The",
            Long with { MaxNewTokens = 5 }).TokenIds.Should().HaveCount(5, "the model is free again");
    }

    [Fact]
    public void Invalid_options_are_named()
    {
        var act = () => fixture.Lm.Generate("The", new GenerationOptions { TopP = 0 });
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*TopP*(0, 1]*");
        act = () => fixture.Lm.Generate("The", new GenerationOptions { StopSequences = [""] });
        act.Should().Throw<ArgumentException>().WithMessage("*StopSequences*empty*");
    }

    static List<string> ToList(IAsyncEnumerable<string> stream) => stream.ToBlockingEnumerable().ToList();
}
