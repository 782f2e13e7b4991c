using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>
/// CLIP's byte-level byte-pair-encoding tokenizer (49408 tokens: 256 bytes, their end-of-word forms,
/// 48894 merges, start- and end-of-text), reading the merges shipped with Nada.Core.
/// Thread-safe; use <see cref="Shared"/>.
/// </summary>
/// <remarks>
/// Text is cleaned by <see cref="ClipTextCleaner"/> (a subset of ftfy), then split with CLIP's pattern
/// (special tokens, English contractions, letter runs, single digits, runs of other non-space characters).
/// .NET regexes see UTF-16 code units: letters outside the Basic Multilingual Plane (e.g. mathematical
/// alphanumerics) count as "other" characters rather than letters, so they may be grouped differently
/// than by Python's <c>regex</c>; emoji and all BMP scripts split the same.
/// </remarks>
public sealed partial class ClipTokenizer
{
    /// <summary>Context length of every published CLIP text encoder.</summary>
    public const int DefaultContextLength = 77;
    private const string StartText = "<|startoftext|>";
    private const string EndText = "<|endoftext|>";
    private const int MergeCount = 49152 - 256 - 2;          // merges used by CLIP (the file holds more)
    private const int MaxCacheEntries = 200_000;              // bounds the word cache of a long-lived server

    private static readonly Lazy<ClipTokenizer> shared = new(() => new ClipTokenizer());

    private readonly string[] byteToUnicode;                  // byte value -> printable stand-in
    private readonly Dictionary<string, int> encoder;
    private readonly Dictionary<(string, string), int> mergeRanks;
    private readonly ConcurrentDictionary<string, string[]> cache = new();

    /// <summary>The tokenizer over the shipped vocabulary, built once.</summary>
    public static ClipTokenizer Shared => shared.Value;

    /// <summary>Number of tokens in the vocabulary (49408).</summary>
    public int VocabSize => encoder.Count;
    /// <summary>Id of the start-of-text token.</summary>
    public int StartOfText { get; }
    /// <summary>Id of the end-of-text token (the highest id; the text encoder pools at its position).</summary>
    public int EndOfText { get; }

    private ClipTokenizer()
    {
        byteToUnicode = BuildByteToUnicode();
        var merges = ReadMerges();
        var vocab = new List<string>(2 * 256 + merges.Count + 2);
        var byteVocab = ByteVocabulary(byteToUnicode).ToList();
        vocab.AddRange(byteVocab);
        vocab.AddRange(byteVocab.Select(s => s + "</w>"));
        vocab.AddRange(merges.Select(m => m.Item1 + m.Item2));
        vocab.Add(StartText);
        vocab.Add(EndText);
        encoder = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        for (var i = 0; i < vocab.Count; i++) encoder[vocab[i]] = i;
        mergeRanks = new Dictionary<(string, string), int>(merges.Count);
        for (var i = 0; i < merges.Count; i++) mergeRanks[merges[i]] = i;
        StartOfText = encoder[StartText];
        EndOfText = encoder[EndText];
    }

    /// <summary>Encodes one text to token ids, without start/end tokens.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (Match m in WordPattern().Matches(ClipTextCleaner.Clean(text)))
        {
            var word = string.Concat(Encoding.UTF8.GetBytes(m.Value).Select(b => byteToUnicode[b]));
            foreach (var piece in Bpe(word)) ids.Add(encoder[piece]);
        }
        return ids;
    }

    /// <summary>Tokens a text takes in the context, start and end tokens included (compare with the context length, 77).</summary>
    public int TokenCount(string text) => Encode(text).Count + 2;

    /// <summary>
    /// Tokenizes texts to a [N, contextLength] int64 tensor: start token, the text's tokens, end token,
    /// zero padding. A text longer than the context throws unless <paramref name="truncate"/> is set;
    /// then it is cut to the context length and its last token replaced by end-of-text.
    /// </summary>
    public Tensor Tokenize(IReadOnlyList<string> texts, bool truncate = false, int contextLength = DefaultContextLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (contextLength < 2) throw new ArgumentOutOfRangeException(nameof(contextLength), "The context must hold at least the start and end tokens.");
        var data = new long[texts.Count * contextLength];
        for (var i = 0; i < texts.Count; i++)
        {
            var ids = new List<int>(contextLength) { StartOfText };
            ids.AddRange(Encode(texts[i]));
            ids.Add(EndOfText);
            if (ids.Count > contextLength)
            {
                if (!truncate)
                    throw new ArgumentException(
                        $"The prompt \"{Shorten(texts[i])}\" is {ids.Count} tokens long (with start and end tokens), " +
                        $"but the CLIP text encoder takes at most {contextLength}. Shorten the prompt.");
                ids.RemoveRange(contextLength, ids.Count - contextLength);
                ids[^1] = EndOfText;
            }
            for (var j = 0; j < ids.Count; j++) data[i * contextLength + j] = ids[j];
        }
        return tensor(data, new long[] { texts.Count, contextLength }, ScalarType.Int64);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    /// <summary>Splits one byte-mapped word into vocabulary pieces by applying merges in rank order.</summary>
    private string[] Bpe(string token)
    {
        if (cache.TryGetValue(token, out var cached)) return cached;
        // Text elements are single UTF-16 chars: every byte maps to one char below U+0200.
        var word = new List<string>(token.Length);
        for (var i = 0; i < token.Length - 1; i++) word.Add(token[i].ToString());
        word.Add(token[^1] + "</w>");
        while (word.Count > 1)
        {
            var bestRank = int.MaxValue;
            (string, string) best = default;
            for (var i = 0; i < word.Count - 1; i++)
            {
                if (mergeRanks.TryGetValue((word[i], word[i + 1]), out var rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = (word[i], word[i + 1]);
                }
            }
            if (bestRank == int.MaxValue) break;
            var merged = new List<string>(word.Count);
            for (var i = 0; i < word.Count; i++)
            {
                if (i < word.Count - 1 && word[i] == best.Item1 && word[i + 1] == best.Item2)
                {
                    merged.Add(best.Item1 + best.Item2);
                    i++;
                }
                else merged.Add(word[i]);
            }
            word = merged;
        }
        var result = word.ToArray();
        if (cache.Count < MaxCacheEntries) cache.TryAdd(token, result);
        return result;
    }

    /// <summary>
    /// The reversible byte -> character map of GPT-2/CLIP: printable Latin-1 bytes map to themselves,
    /// the others to U+0100 upwards in byte order.
    /// </summary>
    private static string[] BuildByteToUnicode()
    {
        var map = new string[256];
        var next = 256;
        for (var b = 0; b < 256; b++) map[b] = ((char)(IsPrintable(b) ? b : next++)).ToString();
        return map;
    }

    /// <summary>The first 256 vocabulary entries: printable bytes first, then the remapped ones, each in byte order.</summary>
    private static IEnumerable<string> ByteVocabulary(string[] byteToUnicode) =>
        Enumerable.Range(0, 256).Where(IsPrintable).Concat(Enumerable.Range(0, 256).Where(b => !IsPrintable(b)))
            .Select(b => byteToUnicode[b]);

    private static bool IsPrintable(int b) => (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);

    private static List<(string, string)> ReadMerges()
    {
        using var gz = new GZipStream(ClipData.Open("bpe_simple_vocab_16e6.txt.gz"), CompressionMode.Decompress);
        using var reader = new StreamReader(gz, Encoding.UTF8);
        var lines = reader.ReadToEnd().Split('\n');
        var merges = new List<(string, string)>(MergeCount);
        for (var i = 1; i <= MergeCount; i++)                  // line 0 is a version header
        {
            var parts = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            merges.Add((parts[0], parts[1]));
        }
        return merges;
    }

    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase)]
    private static partial Regex WordPattern();
}
