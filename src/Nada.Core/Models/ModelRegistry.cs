using System.Text.Json;
using System.Text.RegularExpressions;

namespace Nada.Core.Models;

/// <summary>
/// The list of known models, read from the registry JSON shipped inside Nada.Core (<c>Data/models.json</c>)
/// or from an override file named in configuration (<c>--registry</c>, <c>NADA_MODEL_REGISTRY</c>).
/// An override file replaces the built-in list completely.
/// </summary>
public sealed partial class ModelRegistry
{
    /// <summary>Manifest name of the embedded registry.</summary>
    public const string EmbeddedResourceName = "Nada.Core.Data.models.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly Dictionary<string, ModelEntry> _byId;

    private ModelRegistry(IReadOnlyList<ModelEntry> models, string source)
    {
        Models = models;
        Source = source;
        _byId = models.ToDictionary(m => m.Id, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>All entries, in file order.</summary>
    public IReadOnlyList<ModelEntry> Models { get; }

    /// <summary>Where the registry was read from ("built-in" or a file path).</summary>
    public string Source { get; }

    /// <summary>The built-in registry, or the file at <paramref name="overridePath"/> when it is set.</summary>
    public static ModelRegistry Load(string? overridePath) =>
        string.IsNullOrWhiteSpace(overridePath) ? LoadEmbedded() : LoadFile(overridePath);

    /// <summary>The registry shipped inside Nada.Core.</summary>
    public static ModelRegistry LoadEmbedded()
    {
        using var stream = typeof(ModelRegistry).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new ModelRegistryException($"the built-in model registry '{EmbeddedResourceName}' is missing from Nada.Core; rebuild the project");
        return Parse(stream, "built-in");
    }

    /// <summary>A registry file (same format as <c>Data/models.json</c>).</summary>
    public static ModelRegistry LoadFile(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new ModelRegistryException($"model registry file '{full}' not found; fix --registry / NADA_MODEL_REGISTRY or unset it to use the built-in list");
        using var stream = File.OpenRead(full);
        return Parse(stream, full);
    }

    /// <summary>Parses and validates registry JSON; <paramref name="source"/> names it in error messages.</summary>
    public static ModelRegistry Parse(Stream json, string source)
    {
        RegistryDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<RegistryDocument>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ModelRegistryException($"model registry '{source}' is not valid: {ex.Message}", ex);
        }
        if (doc?.Models is null)
            throw new ModelRegistryException($"model registry '{source}' has no \"models\" array");

        var entries = new List<ModelEntry>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var files = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < doc.Models.Count; i++)
        {
            var entry = Validate(doc.Models[i], i, source);
            if (!ids.Add(entry.Id))
                throw new ModelRegistryException($"model registry '{source}': id '{entry.Id}' appears twice");
            if (!files.Add(entry.FileName))
                throw new ModelRegistryException($"model registry '{source}': fileName '{entry.FileName}' is used by two entries");
            entries.Add(entry);
        }
        return new ModelRegistry(entries, source);
    }

    /// <summary>The entry with this id (case-insensitive), or null.</summary>
    public ModelEntry? TryFind(string id) => _byId.GetValueOrDefault(id);

    /// <summary>The entry with this id; throws a message listing the known ids when there is none.</summary>
    public ModelEntry Find(string id) =>
        TryFind(id) ?? throw new ModelStoreException(
            $"unknown model '{id}'; known ids: {string.Join(", ", Models.Select(m => m.Id))} (registry: {Source})");

    private static ModelEntry Validate(RegistryItem item, int index, string source)
    {
        string where = $"model registry '{source}', entry {index}" + (item.Id is null ? "" : $" ('{item.Id}')");
        ModelRegistryException Bad(string what) => new($"{where}: {what}");

        if (string.IsNullOrWhiteSpace(item.Id) || !IdPattern().IsMatch(item.Id))
            throw Bad("\"id\" must be lower-case letters, digits, '.', '_' or '-'");
        if (string.IsNullOrWhiteSpace(item.DisplayName)) throw Bad("\"displayName\" is missing");
        if (string.IsNullOrWhiteSpace(item.Domain)) throw Bad("\"domain\" is missing");
        if (item.Resolution is not > 0) throw Bad("\"resolution\" must be a positive number of pixels");
        if (item.Family is null) throw Bad("\"family\" is missing (StyleGAN2, StyleGAN2-ADA, StyleGAN3, CLIP)");
        if (item.Format is null) throw Bad("\"format\" is missing (tf-pickle, nvlabs-pickle, torchscript, state-dict, safetensors)");
        if (string.IsNullOrWhiteSpace(item.FileName) || item.FileName != Path.GetFileName(item.FileName)
            || item.FileName is "." or ".." || item.FileName.StartsWith('.')
            || item.FileName.EndsWith(".part", StringComparison.OrdinalIgnoreCase)
            || item.FileName.EndsWith(".sha256", StringComparison.OrdinalIgnoreCase))
            throw Bad("\"fileName\" must be a plain file name (no folder, not hidden, not ending in .part or .sha256)");
        if (item.Urls is not { Count: > 0 }) throw Bad("\"urls\" must list at least one URL");
        foreach (var url in item.Urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw Bad($"URL '{url}' is not an absolute http(s) URL");
        }
        string? sha = item.Sha256?.Trim().ToLowerInvariant();
        if (sha is not null && !Sha256Pattern().IsMatch(sha))
            throw Bad($"\"sha256\" '{item.Sha256}' is not 64 hex digits (use null when the publisher gives none)");
        if (item.SizeBytes is <= 0) throw Bad("\"sizeBytes\" must be positive or null");
        if (string.IsNullOrWhiteSpace(item.License)) throw Bad("\"license\" is missing");
        if (string.IsNullOrWhiteSpace(item.SourcePage) || !Uri.TryCreate(item.SourcePage, UriKind.Absolute, out _))
            throw Bad("\"sourcePage\" must be the absolute URL of the page the entry was taken from");

        return new ModelEntry(item.Id, item.DisplayName, item.Domain, item.Resolution.Value, item.Family.Value, item.Format.Value,
            item.FileName, item.Urls.ToArray(), sha, item.SizeBytes, item.License, item.SourcePage, item.SourceNote);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    internal static partial Regex Sha256Pattern();

    private sealed record RegistryDocument(int? Version, List<RegistryItem>? Models);

    private sealed record RegistryItem(
        string? Id, string? DisplayName, string? Domain, int? Resolution, ModelFamily? Family, ModelFormat? Format,
        string? FileName, List<string>? Urls, string? Sha256, long? SizeBytes, string? License, string? SourcePage,
        string? SourceNote);
}
