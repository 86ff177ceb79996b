// Token shards: the file layout, the manifest, resuming, training on them exactly as on the same documents in memory,
// damaged files, and the tokenizer travelling with the data.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.LowRank.Data;
using MLNet.LowRank.Data.Shards;
using MLNet.LowRank.Data.Tokenizers;
using MLNet.LowRank.Estimators;
using MLNet.LowRank.Tests.Estimators;
using MLNet.LowRank.Training;
using MLNet.LowRank.Transformers;

namespace MLNet.LowRank.Tests.Data;

public class TokenShardTests
{
    static IReadOnlyList<CorpusDocument> Documents(int count = 60) =>
        Enumerable.Range(0,
        count).Select(i => new CorpusDocument($"doc-{i:D3}", "",
        LmPipeline.Texts[i % LmPipeline.Texts.Length] + $" Copy {i}.")).ToList();

    static readonly TokenizeOptions Small = new() { ShardTokens = 2048, ValidationFraction = 0.2, ChunkDocuments = 7 };

    /// <summary>A tokenizer whose ids sit at the top of a vocabulary of any size: every character one of the seven ids
    /// just below BOS, and BOS the last id, so a shard format too narrow for the vocabulary cannot hide.</summary>
    sealed class TopOfVocabularyTokenizer(int vocab) : LmTokenizer
    {
        public override string Name => "top-of-vocabulary";
        public override int VocabSize => vocab;
        public override int BosId => vocab - 1;
        public override int[] Encode(string text) => text.Select(c => vocab - 2 - c % 7).ToArray();
        public override string Decode(IEnumerable<int> ids) => "";
        public override int ByteLength(int id) => 1;
        public override void Write(BinaryWriter writer) { writer.Write(Name); writer.Write(vocab); }
    }

    [Theory]
    [InlineData(65_536, 1)] // ids 0 … 65,535: uint16 holds them all
    [InlineData(65_537, 2)] // id 65,536 needs uint32
    public void The_shard_format_widens_from_uint16_to_uint32_past_65536_ids(int vocab, int version)
    {
        using var temp = new TempDirectory("shards-wide-");
        var tokenizer = new TopOfVocabularyTokenizer(vocab);
        var documents = Documents(12);
        var manifest = TokenShards.Write(documents, tokenizer, temp.Path, ["test"],
            Small with { ValidationFraction = 0 });
        manifest.ShardVersion.Should().Be(version);
        var paths = manifest.Shards.Select(s => Path.Combine(temp.Path, s.File)).ToList();
        paths.Should().OnlyContain(p => TokenShardFile.ReadHeader(p).Version == version);
        using var stream = TokenStream.FromShards(paths, tokenizer.BosId, "wide");
        var expected = documents.SelectMany(d => new[] { tokenizer.BosId }.Concat(tokenizer.Encode(d.Text))).ToArray();
        var read = new int[stream.Length];
        stream.Read(0, read);
        read.Should().Equal(expected, "every id, BOS the largest, survives the round trip");
        stream.MaxTokenId.Should().Be(vocab - 1);
    }

    [Fact]
    public void Shards_hold_every_document_once_in_order_split_by_the_stable_hash()
    {
        string dir = Directory.CreateTempSubdirectory("shards-").FullName;
        var tokenizer = new ByteLevelTokenizer();
        var manifest = TokenShards.Write(Documents(), tokenizer, dir, ["test"], Small);

        manifest.Complete.Should().BeTrue();
        manifest.DocumentsConsumed.Should().Be(60);
        manifest.Shards.Count(s => s.Split == "train").Should().BeGreaterThan(1, "2,048 tokens a shard");
        var held = Documents().Where(d => DocumentSplit.IsValidation(d.Id, 0.2)).ToList();
        held.Should().NotBeEmpty();
        manifest.Shards.Where(s => s.Split == "validation").Sum(s => s.Documents).Should().Be(held.Count);
        foreach (var shard in manifest.Shards)
            TokenShardFile.ReadHeader(Path.Combine(dir, shard.File)).Should().Be((1,
                shard.Tokens), "uint16 ids and the header's count");

        using var train = TokenShards.Open(dir, "train", out var rebuilt);
        rebuilt.SameAs(tokenizer).Should().BeTrue();
        train.IsMapped.Should().BeTrue();
        var expected = new TokenStream(Documents().Where(d => !DocumentSplit.IsValidation(d.Id,
            0.2)).Select(d => (IReadOnlyList<int>)tokenizer.Encode(d.Text)), tokenizer.BosId);
        train.Length.Should().Be(expected.Length);
        var all = new int[train.Length];
        train.Read(0, all);
        all.Should().Equal(expected.Tokens, "the shards are the documents' tokens, each after a BOS, in input order");
        train.DocumentCount.Should().Be(expected.DocumentCount);
        train.Document(5).Should().Equal(expected.Document(5));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void An_interrupted_run_resumes_to_the_same_shards()
    {
        string straight = Directory.CreateTempSubdirectory("shards-").FullName,
            resumed = Directory.CreateTempSubdirectory("shards-").FullName;
        var tokenizer = new ByteLevelTokenizer();
        TokenShards.Write(Documents(), tokenizer, straight, ["test"], Small);

        using var cancel = new CancellationTokenSource();
        var stop = new SynchronousProgress<TokenizeProgress>(p => { if (p.Documents >= 35) cancel.Cancel(); });
        var act = () => TokenShards.Write(Documents(), tokenizer, resumed, ["test"], Small, stop, cancel.Token);
        act.Should().Throw<OperationCanceledException>();
        var partial = ShardManifest.Read(resumed);
        partial.Complete.Should().BeFalse();
        partial.DocumentsConsumed.Should().BeGreaterThan(0).And.BeLessThan(60);
        var other = () => TokenShards.Write(Documents(), tokenizer, resumed, ["another input"], Small);
        other.Should().Throw<InvalidOperationException>().WithMessage("*written from test*another input*");

        TokenShards.Write(Documents(), tokenizer, resumed, ["test"], Small);
        var a = ShardManifest.Read(straight).Shards.Sum(s => s.Tokens);
        ShardManifest.Read(resumed).Shards.Sum(s => s.Tokens).Should().Be(a);
        ConcatenatedBytes(resumed, "train").Should().Equal(ConcatenatedBytes(straight, "train"));
        ConcatenatedBytes(resumed, "validation").Should().Equal(ConcatenatedBytes(straight, "validation"));
        Directory.Delete(straight, true);
        Directory.Delete(resumed, true);
    }

    [Fact]
    public void Tokenizing_never_deletes_a_file_it_did_not_write()
    {
        using var dir = new TempDirectory("shards-user-");
        var tokenizer = new ByteLevelTokenizer();
        string mine = Path.Combine(dir.Path, "weights.bin"), lookalike = Path.Combine(dir.Path, "train_000000.txt");
        File.WriteAllText(mine, "the user's own file");
        File.WriteAllText(lookalike, "also the user's");
        FluentActions.Invoking(() => TokenShards.Write(Documents(), tokenizer, dir.Path, ["test"], Small))
            .Should().Throw<InvalidOperationException>().WithMessage("*not empty*no shard manifest*--force*");
        File.ReadAllText(mine).Should().Be("the user's own file");

        // Asked to write beside them, and interrupted, then resumed: only the writer's own shard names come and go.
        using var cancel = new CancellationTokenSource();
        var stop = new SynchronousProgress<TokenizeProgress>(p => { if (p.Documents >= 35) cancel.Cancel(); });
        FluentActions.Invoking(() => TokenShards.Write(Documents(), tokenizer, dir.Path, ["test"],
            Small with { Force = true }, stop, cancel.Token))
            .Should().Throw<OperationCanceledException>();
        string stray = Path.Combine(dir.Path, "train_000099.bin");
        File.WriteAllText(stray, "a shard an interrupted writer left half-written");
        TokenShards.Write(Documents(), tokenizer, dir.Path, ["test"], Small).Complete.Should().BeTrue();
        File.Exists(stray).Should().BeFalse("a shard name this writer makes, not in its manifest, is its own leftover");
        File.ReadAllText(mine).Should().Be("the user's own file");
        File.ReadAllText(lookalike).Should().Be("also the user's");
    }

    static byte[] ConcatenatedBytes(string dir, string split)
    {
        using var train = TokenShards.Open(dir, split, out _);
        var tokens = new int[train.Length];
        train.Read(0, tokens);
        return tokens.SelectMany(BitConverter.GetBytes).ToArray();
    }

    [Fact]
    public void Training_on_shards_gives_the_loss_curve_of_the_same_documents_in_memory()
    {
        string dir = Directory.CreateTempSubdirectory("shards-").FullName;
        var tokenizer = new ByteLevelTokenizer();
        TokenShards.Write(Documents(), tokenizer, dir, ["test"], Small);
        var ml = new MLContext(seed: 1);
        using var train = ml.LowRank().Data.LoadTokenShards(dir, "train");
        using var validation = ml.LowRank().Data.LoadTokenShards(dir, "validation");
        var options = LmPipeline.Options(steps: 8);
        options.ValidationSet = validation;
        options.Training = options.Training with { EvalEvery = 4 };
        using var fromShards = ml.LowRank().Trainers.LowRankLm(options).Fit(train);

        var trainTexts = Documents().Where(d => !DocumentSplit.IsValidation(d.Id, 0.2)).Select(d => d.Text).ToList();
        var validTexts = Documents().Where(d => DocumentSplit.IsValidation(d.Id, 0.2)).Select(d => d.Text).ToList();
        var memoryOptions = LmPipeline.Options(steps: 8);
        memoryOptions.ValidationSet = ml.LowRank().Data.LoadFromTexts(validTexts);
        memoryOptions.Training = memoryOptions.Training with { EvalEvery = 4 };
        var inMemory = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text", LmTokenizer.Use(tokenizer))
            .Append(ml.LowRank().Trainers.LowRankLm(memoryOptions)).Fit(ml.LowRank().Data.LoadFromTexts(trainTexts))
            .GetLanguageModel();
        fromShards.History.Select(h => h.TrainLoss).Should().Equal(inMemory.History.Select(h => h.TrainLoss));
        fromShards.History.Select(h => h.ValidationLoss).Should().Equal(inMemory.History.Select(h => h.ValidationLoss));
        ml.LowRank().Evaluate(fromShards.Transform(validation)).Perplexity.Should().BeApproximately(
            ml.LowRank().Evaluate(inMemory.Transform(ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            LmTokenizer.Use(tokenizer)).Fit(memoryOptions.ValidationSet)
            .Transform(memoryOptions.ValidationSet))).Perplexity, 1e-9);
        inMemory.Dispose();
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task A_sweep_runs_on_shards_and_keeps_a_model_that_loads()
    {
        string dir = Directory.CreateTempSubdirectory("shards-").FullName;
        TokenShards.Write(Documents(), new ByteLevelTokenizer(), Path.Combine(dir, "shards"), ["test"], Small);
        var ml = new MLContext(seed: 1);
        using var train = ml.LowRank().Data.LoadTokenShards(Path.Combine(dir, "shards"), "train");
        using var validation = ml.LowRank().Data.LoadTokenShards(Path.Combine(dir, "shards"), "validation");
        var result = await ml.LowRank().CreateExperiment()
            .SetPipeline(LmTokenizer.Bytes(), LmPipeline.Options(steps: 4))
            .SetDataset(train, validation)
            .SetSearchSpace(new MLNet.LowRank.Experiments.SearchSpace().Add("AttentionRank", "4", "8"))
            .SetGridSearch()
            .SetModelDirectory(Path.Combine(dir, "models"))
            .SetResultDirectory(Path.Combine(dir, "run"))
            .RunAsync();
        result.Trials.Should().HaveCount(2).And.OnlyContain(t =>
            t.Status == MLNet.LowRank.Experiments.TrialStatus.Completed);
        var best = ml.LowRank().LoadModel(Path.Combine(dir, "models", "best.zip"));
        ml.LowRank().Evaluate(best.Transform(validation)).Perplexity.Should()
            .BeApproximately(result.BestTrial!.Perplexity!.Value, 1e-6 * result.BestTrial.Perplexity.Value);
        best.GetLanguageModel().Dispose();
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Large_vocabularies_use_uint32_and_a_damaged_shard_is_named()
    {
        string dir = Directory.CreateTempSubdirectory("shards-").FullName;
        var cl100k = TiktokenLmTokenizer.Pretrained("cl100k_base");
        var manifest = TokenShards.Write(Documents(12), cl100k, dir, ["test"], Small with { ValidationFraction = 0 });
        manifest.ShardVersion.Should().Be(2);
        using (var stream = TokenShards.Open(dir, "train", out var rebuilt))
        {
            rebuilt.SameAs(cl100k).Should().BeTrue();
            stream.Document(3).Should().Equal(cl100k.Encode(Documents(12)[3].Text));
        }
        string shard = Path.Combine(dir, manifest.Shards[0].File);
        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..^6]);
        var act = () => TokenShards.Open(dir, "train", out _);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{manifest.Shards[0].File}*truncated*");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_tokenized_column_carries_its_tokenizer_to_a_process_that_never_saw_it()
    {
        var ml = new MLContext(seed: 1);
        var bpe = BpeTrainer.Train(LmPipeline.Texts, 300);
        var tokenized = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            LmTokenizer.Use(bpe)).Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts))
            .Transform(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts));
        string path = Path.Combine(Path.GetTempPath(), $"tokens-{Guid.NewGuid():N}.idv");
        using (var file = File.Create(path)) ml.Data.SaveAsBinary(tokenized, file);
        var loaded = ml.Data.LoadFromBinary(path);
        // As another process would see it: the annotation's key is unknown there, so the tokenizer is rebuilt from it.
        string annotation = Annotation(loaded.Schema["Tokens"]);
        var foreign = new DataViewSchema.Annotations.Builder();
        var value = ("unknown-key#0|" + annotation.Split('|', 2)[1]).AsMemory();
        foreign.Add(TokenizerRegistry.AnnotationName,
            TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = value);
        var schema = new DataViewSchema.Builder();
        schema.AddColumn("Tokens", new VectorDataViewType(NumberDataViewType.Int32), foreign.ToAnnotations());
        var found = TokenizerRegistry.Find(schema.ToSchema()["Tokens"])!.Value;
        found.Tokenizer.Should().NotBeSameAs(bpe);
        found.Tokenizer.SameAs(bpe).Should().BeTrue();
        found.SourceColumn.Should().Be("Text");

        using var lm = ml.LowRank().Trainers.LowRankLm(LmPipeline.Options(steps: 3)).Fit(loaded);
        lm.Tokenizer.SameAs(bpe).Should().BeTrue("the data loaded from disk trains, with the tokenizer that made it");
        var other = ml.Transforms.Text.TokenizeForLanguageModel("Tokens", "Text",
            LmTokenizer.Bytes()).Fit(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts))
            .Transform(ml.LowRank().Data.LoadFromTexts(LmPipeline.Texts));
        var act = () => lm.Transform(other).Preview();
        act.Should().Throw<ArgumentException>().WithMessage("*bytes*bpe-300*");
        File.Delete(path);
    }

    static string Annotation(DataViewSchema.Column column)
    {
        ReadOnlyMemory<char> value = default;
        column.Annotations
            .GetGetter<ReadOnlyMemory<char>>(column.Annotations.Schema[TokenizerRegistry.AnnotationName])(ref value);
        return value.ToString();
    }
}
