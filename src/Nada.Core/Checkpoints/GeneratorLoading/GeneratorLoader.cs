using Nada.Core.Checkpoints.GeneratorLoading;

namespace Nada.Core.Generators;

/// <summary>
/// Loads StyleGAN2 and StyleGAN3 generators from any supported file, detected from its content (not its name), and
/// saves them in our format. Supported: ours (<see cref="NadaFormat"/>), rosinality/StyleGAN-NADA <c>.pt</c>,
/// NVIDIA stylegan2-ada-pytorch <c>.pkl</c>, NVIDIA TensorFlow StyleGAN2 <c>.pkl</c>, NVIDIA stylegan3 <c>.pkl</c>.
/// Every failure a user can cause is a <see cref="Checkpoints.CheckpointException"/> naming the file.
/// </summary>
public static class GeneratorLoader
{
    /// <summary>Loads a generator (CPU, float32, eval-ready).</summary>
    public static StyleGenerator LoadGenerator(string path) => Load(path).Generator;

    /// <summary>Loads a generator and tells which format the file was in.</summary>
    public static (StyleGenerator Generator, GeneratorFormat Format) Load(string path)
    {
        if (Directory.Exists(path))
            throw new Checkpoints.CheckpointException(path, "is a folder, not a generator file", "Pass the checkpoint file itself");
        if (!File.Exists(path))
        {
            var jsonTwin = NadaFormat.FilesFor(path).Weights;
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && File.Exists(jsonTwin)) path = jsonTwin;
            else throw new Checkpoints.CheckpointException(path, "file not found", "Check the path");
        }
        else if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && File.Exists(NadaFormat.FilesFor(path).Weights))
        {
            path = NadaFormat.FilesFor(path).Weights;
        }

        if (NadaFormat.LooksLikeSafeTensors(path)) return (NadaFormat.Load(path), GeneratorFormat.Nada);

        var graph = Checkpoints.CheckpointReader.Read(path);
        try
        {
            if (NvidiaSg3Format.Matches(graph)) return (NvidiaSg3Format.Load(path, graph), GeneratorFormat.NvidiaStyleGan3);
            if (NvidiaAdaFormat.Matches(graph)) return (NvidiaAdaFormat.Load(path, graph), GeneratorFormat.NvidiaAdaPytorch);
            if (TfStyleGan2Format.Matches(graph)) return (TfStyleGan2Format.Load(path, graph), GeneratorFormat.NvidiaTensorFlow);
            if (RosinalityFormat.Matches(graph)) return (RosinalityFormat.Load(path, graph), GeneratorFormat.Rosinality);
            throw new Checkpoints.CheckpointException(path, $"holds no StyleGAN generator (top level: {Describe(graph)})",
                "Supported: NadaWeb .safetensors, rosinality/StyleGAN-NADA .pt, NVIDIA stylegan2-ada-pytorch, stylegan3 and TF StyleGAN2 .pkl");
        }
        finally
        {
            // The generator holds copies; the file's tensors are ours to free.
            foreach (var t in Checkpoints.StateDict.DistinctTensors(graph)) t.Dispose();
        }
    }

    /// <summary>
    /// Saves in our format: <c>path</c> with ".safetensors" (added when missing) plus the sibling ".json"
    /// config; returns the weights file.
    /// </summary>
    public static string Save(StyleGenerator g, string path) => g switch
    {
        StyleGan2Generator or StyleGan3Generator => NadaFormat.Save(g, path),
        _ => throw new NotSupportedException($"Saving {g.Config.Family} generators is not supported."),
    };

    /// <summary>
    /// Saves for the old ecosystem (rosinality stylegan2-pytorch, StyleGAN-NADA): a torch.save zip
    /// <c>{"g_ema": state_dict, "latent_avg": tensor}</c> at <paramref name="path"/> (conventionally .pt).
    /// </summary>
    public static void SaveRosinality(StyleGenerator g, string path)
    {
        if (g is not StyleGan2Generator sg2)
            throw new ArgumentException($"Only StyleGAN2 generators can be written in rosinality's .pt layout; this one is {g.Config.Family}.");
        RosinalityFormat.Save(sg2, path);
    }

    private static string Describe(object? graph) => graph switch
    {
        null => "None",
        Dictionary<string, object?> d => "dict with keys " + string.Join(", ", d.Keys.Take(8)) + (d.Count > 8 ? ", ..." : ""),
        Checkpoints.PickledObject p => p.QualifiedName,
        object?[] t => $"tuple of {t.Length}",
        List<object?> l => $"list of {l.Count}",
        _ => graph.GetType().Name,
    };
}
