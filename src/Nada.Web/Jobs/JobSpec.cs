using Nada.Core.Adaptation;

namespace Nada.Web.Jobs;

/// <summary>What a user asked for, as stored with the job (ids of catalog models, sanitised upload paths).</summary>
public sealed record JobSpec
{
    /// <summary>Base generator id from the model catalog.</summary>
    public required string Generator { get; init; }
    /// <summary>CLIP model ids from the model catalog.</summary>
    public required IReadOnlyList<string> ClipModels { get; init; }
    /// <summary>Weights of the CLIP models, same order; empty means 1 each.</summary>
    public IReadOnlyList<float> ClipWeights { get; init; } = [];
    public required string SourceText { get; init; }
    public string TargetText { get; init; } = "";
    public int Iterations { get; init; }
    /// <summary>Sanitised style images, relative to the data folder.</summary>
    public IReadOnlyList<string> StyleImages { get; init; } = [];
    /// <summary>The engine's other knobs (advanced options).</summary>
    public AdaptationOptions Options { get; init; } = new();

    /// <summary>"photo -> sketch", or the image count for image-guided runs.</summary>
    public string Title => TargetText.Length > 0
        ? $"{SourceText} -> {TargetText}"
        : $"{SourceText} -> {StyleImages.Count} style image(s)";
}

/// <summary>A submission before validation: what the form or the API sent.</summary>
public sealed class SubmitInput
{
    public string Generator { get; set; } = "";
    public List<string> ClipModels { get; set; } = [];
    public List<float>? ClipWeights { get; set; }
    public string SourceText { get; set; } = "photo";
    public string TargetText { get; set; } = "";
    public int Iterations { get; set; } = 300;
    public List<UploadedImage> StyleImages { get; set; } = [];
    /// <summary>Advanced options; the reference implementation's defaults unless changed.</summary>
    public AdaptationOptions Options { get; set; } = new();
}

/// <summary>One uploaded file as received, not yet trusted.</summary>
public sealed record UploadedImage(string FileName, byte[] Bytes);
