namespace Nada.Core;

/// <summary>
/// What reading one untrusted file (a checkpoint, a CLIP model, an image) may cost in memory. Every reader checks the
/// sizes a file claims against the file itself and against these limits before it allocates, streams what it reads,
/// and refuses a file that would go past them with a message naming the file, the entry and the limit. A file built to
/// exhaust memory (a decompression bomb, overlapping or repeated data, a header claiming billions of pixels) is
/// therefore refused in little memory, whoever passes it in: the web upload, a file placed in the models folder,
/// <c>nada convert</c>. The defaults fit the largest real files with room to spare: an FFHQ 1024 StyleGAN2 pickle is
/// about 360 MB, CLIP ViT-L/14 about 900 MB, their largest tensors a few hundred MB.
/// </summary>
public sealed record ReadLimits
{
    /// <summary>The limits every reader uses unless given others.</summary>
    public static ReadLimits Default { get; } = new();

    /// <summary>
    /// Largest single tensor, storage, numpy array or archive entry, in bytes. Default 1 GiB (CLIP ViT-L/14's largest
    /// tensor, the token embedding, is 152 MB in float32).
    /// </summary>
    public long MaxTensorBytes { get; init; } = 1L << 30;

    /// <summary>
    /// Most bytes one file may make in all: tensors, decompressed archive entries, pickle values. Default 4 GiB.
    /// </summary>
    public long MaxTotalBytes { get; init; } = 4L << 30;

    /// <summary>
    /// What one file may make, as a multiple of its size on disk, so that compression or shared references (a
    /// stride-0 view, one bytes object behind many arrays, overlapping byte ranges) cannot turn a small file into a
    /// large allocation. Real checkpoints make at most about twice their size (an NVIDIA pickle holds each tensor's
    /// bytes once in the pickle and once as a tensor). Default 4.
    /// </summary>
    public int MaxExpansion { get; init; } = 4;

    /// <summary>What any file may make whatever its size (small files may expand more than <see cref="MaxExpansion"/>). Default 16 MiB.</summary>
    public long SmallFileAllowanceBytes { get; init; } = 16L << 20;

    /// <summary>Most tensors one file may hold. Default 100 000 (CLIP ViT-L/14 has about 400, an NVIDIA pickle about 1000).</summary>
    public int MaxTensors { get; init; } = 100_000;

    /// <summary>
    /// Largest pickle read into memory: a plain pickle file (read whole), or <c>data.pkl</c> inside an archive.
    /// Default 2 000 000 000 bytes (about the largest .NET array).
    /// </summary>
    public long MaxPickleBytes { get; init; } = 2_000_000_000;

    /// <summary>Most memo entries of one pickle. Default 1 000 000 (real checkpoints use tens of thousands).</summary>
    public int MaxPickleMemo { get; init; } = 1_000_000;

    /// <summary>Most values and marks on one pickle's stack at once. Default 1 000 000 (Python writes items in batches of 1000).</summary>
    public int MaxPickleStack { get; init; } = 1_000_000;

    /// <summary>Most entries a zip archive (torch.save, TorchScript) may list. Default 100 000.</summary>
    public int MaxZipEntries { get; init; } = 100_000;

    /// <summary>Largest safetensors JSON header, in bytes. Default 16 MiB (real headers are well under 1 MiB).</summary>
    public long MaxHeaderBytes { get; init; } = 16L << 20;

    /// <summary>
    /// Most pixels an image may claim. Large non-interlaced PNGs are streamed row by row and baseline JPEGs are
    /// decoded downscaled, so only time grows with this. Default 16384 x 16384.
    /// </summary>
    public long MaxImagePixels { get; init; } = 16384L * 16384;

    /// <summary>
    /// Most pixels an image may claim when its decoder holds the whole image at once: interlaced PNG, progressive JPEG
    /// (every DCT coefficient, up to 6 bytes a pixel), WebP (lossless keeps the whole ARGB image), GIF, BMP and the
    /// other formats SkiaSharp cannot decode downscaled. Default 8192 x 8192 (256 MiB as RGBA).
    /// </summary>
    public long MaxFullDecodePixels { get; init; } = 8192L * 8192;
}
