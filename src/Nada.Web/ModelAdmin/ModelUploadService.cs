using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Nada.Core.Checkpoints;
using Nada.Core.Clip;
using Nada.Core.Service;
using Nada.Web.Options;

namespace Nada.Web.ModelAdmin;

/// <summary>What an uploaded checkpoint is meant to be.</summary>
public enum ModelUploadKind
{
    /// <summary>A StyleGAN2 generator: converted to our format in generators/.</summary>
    Generator,
    /// <summary>A CLIP model: checked by the CLIP loader and kept as uploaded in clip/.</summary>
    Clip,
}

/// <summary>The outcome of an accepted upload.</summary>
/// <param name="Id">The catalog id users choose (file name in generators/ or clip/).</param>
/// <param name="Name">The admin-given name.</param>
/// <param name="Kind">Generator or CLIP model.</param>
/// <param name="SourceFormat">The format the upload was read as.</param>
/// <param name="Resolution">Output size (generators) or input size (CLIP) in pixels.</param>
/// <param name="PreviewUrl">Admin-only URL of the preview grid (generators: seeds 0-7, truncation 0.7); null for CLIP.</param>
public sealed record UploadedModel(string Id, string Name, ModelUploadKind Kind, string SourceFormat, int Resolution, string? PreviewUrl);

/// <summary>
/// Admin uploads of checkpoints: the bytes are streamed to a temporary file (size-limited) and read only through
/// the engine's restricted readers (<see cref="IModelImporter"/>, interactive work of the device broker). A generator
/// is saved in our format into <c>ModelsDir/generators/NAME.safetensors</c> (+ NAME.json) and previewed as a grid; a
/// CLIP model is kept as uploaded as <c>ModelsDir/clip/NAME.pt|.safetensors</c>. Anything refused leaves nothing
/// behind. One conversion at a time.
/// </summary>
public sealed partial class ModelUploadService(DataPaths paths, IModelImporter importer, IOptions<ModelsOptions> options, ILogger<ModelUploadService> log)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Largest accepted upload in bytes.</summary>
    public long MaxBytes => options.Value.MaxUploadBytes;

    /// <summary>Folder of the preview grids (outside the models folder, so they are never offered as models).</summary>
    public string PreviewDir => Path.Combine(paths.DataDir, "model-previews");

    /// <summary>The preview PNG of an uploaded generator, or null.</summary>
    public string? PreviewFile(string name) =>
        IsValidName(name) && File.Exists(Path.Combine(PreviewDir, name + ".png")) ? Path.Combine(PreviewDir, name + ".png") : null;

    /// <summary>Whether a name is acceptable: 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Checks the name and that it is free for this kind; throws <see cref="ModelUploadException"/> otherwise.</summary>
    public void CheckName(string? name, ModelUploadKind kind = ModelUploadKind.Generator)
    {
        if (!IsValidName(name))
            throw new ModelUploadException($"the name '{name}' is not allowed: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit");
        string dir = kind == ModelUploadKind.Clip ? ClipDir : GeneratorsDir;
        string[] taken = kind == ModelUploadKind.Clip ? [".pt", ".safetensors"] : [".safetensors", ".json"];
        if (taken.Any(ext => File.Exists(Path.Combine(dir, name + ext))))
            throw new ModelUploadException($"a {(kind == ModelUploadKind.Clip ? "CLIP model" : "generator")} named '{name}' already exists in {dir}; choose another name or delete the old one first");
    }

    /// <summary>Streams, checks and stores one upload; throws <see cref="ModelUploadException"/> when it is refused.</summary>
    public async Task<UploadedModel> UploadAsync(string name, string fileName, Stream content, CancellationToken ct,
        ModelUploadKind kind = ModelUploadKind.Generator)
    {
        CheckName(name, kind);
        string tempDir = Path.Combine(paths.DataDir, "tmp", "upload-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tempDir);
        try
        {
            string upload = Path.Combine(tempDir, "upload.bin");
            await CopyLimitedAsync(content, upload, fileName, ct);
            await _oneAtATime.WaitAsync(ct);
            try
            {
                var result = kind == ModelUploadKind.Clip
                    ? await KeepClipAsync(name, fileName, upload, ct)
                    : await ConvertAsync(name, fileName, upload, tempDir, ct);
                log.LogInformation("Admin upload '{File}' stored as {Kind} '{Id}' ({Format}, {Res}px)", fileName, kind, result.Id, result.SourceFormat, result.Resolution);
                return result;
            }
            finally
            {
                _oneAtATime.Release();
            }
        }
        finally
        {
            try { Directory.Delete(tempDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private string GeneratorsDir => Path.Combine(paths.ModelsDir, "generators");

    private string ClipDir => Path.Combine(paths.ModelsDir, "clip");

    private string WeightsPath(string name) => Path.Combine(GeneratorsDir, name + ".safetensors");

    private async Task CopyLimitedAsync(Stream content, string target, string fileName, CancellationToken ct)
    {
        long limit = MaxBytes;
        var buffer = new byte[1 << 16];
        long total = 0;
        await using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        int n;
        while ((n = await content.ReadAsync(buffer, ct)) > 0)
        {
            total += n;
            if (total > limit)
                throw new ModelUploadException($"'{fileName}' is larger than the upload limit of {limit} bytes (Models:MaxUploadBytes); copy it into the models folder by hand instead");
            await file.WriteAsync(buffer.AsMemory(0, n), ct);
        }
        if (total == 0) throw new ModelUploadException($"'{fileName}' is empty");
    }

    private async Task<UploadedModel> ConvertAsync(string name, string fileName, string upload, string tempDir, CancellationToken ct)
    {
        ImportedGenerator imported;
        try
        {
            // Written into the temporary folder first, so a half-written model never appears in the catalog.
            imported = await importer.ImportGeneratorAsync(upload, Path.Combine(tempDir, name), ct);
        }
        catch (CheckpointException e)
        {
            throw new ModelUploadException(e.Message.Replace(upload, fileName), e);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            throw new ModelUploadException($"'{fileName}' could not be read as a generator: {e.Message.Replace(upload, fileName)}", e);
        }
        Directory.CreateDirectory(GeneratorsDir);
        Directory.CreateDirectory(PreviewDir);
        CheckName(name); // another upload may have taken the name meanwhile
        Nada.Core.Runs.RunLayout.WriteAtomic(Path.Combine(PreviewDir, name + ".png"), imported.PreviewPng);
        File.Move(Path.ChangeExtension(imported.WeightsFile, ".json"), Path.ChangeExtension(WeightsPath(name), ".json"));
        File.Move(imported.WeightsFile, WeightsPath(name));
        return new UploadedModel(name + ".safetensors", name, ModelUploadKind.Generator, imported.SourceFormat, imported.Resolution,
            $"/api/admin/models/previews/{name}");
    }

    private async Task<UploadedModel> KeepClipAsync(string name, string fileName, string upload, CancellationToken ct)
    {
        CheckedClip clip;
        try
        {
            clip = await importer.CheckClipAsync(upload, ct);
        }
        catch (Exception e) when (e is ClipFormatException or CheckpointException)
        {
            throw new ModelUploadException(e.Message.Replace(upload, fileName), e);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            throw new ModelUploadException($"'{fileName}' could not be read as a CLIP model: {e.Message.Replace(upload, fileName)}", e);
        }
        // The engine reads CLIP files as published, so the checked bytes are kept as they are.
        string target = Path.Combine(ClipDir, name + (clip.IsSafeTensors ? ".safetensors" : ".pt"));
        Directory.CreateDirectory(ClipDir);
        CheckName(name, ModelUploadKind.Clip);
        File.Move(upload, target);
        return new UploadedModel(Path.GetFileName(target), name, ModelUploadKind.Clip, clip.Format, clip.Resolution, null);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
