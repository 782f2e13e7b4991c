using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Scheduling;
using static TorchSharp.torch;

namespace Nada.Core.Service.Torch;

/// <summary>Reads supplied model files through the restricted readers, as interactive work of the broker.</summary>
public sealed class TorchModelImporter(GpuBroker broker) : IModelImporter
{
    private static readonly int[] PreviewSeeds = [0, 1, 2, 3, 4, 5, 6, 7];
    private const float PreviewTruncation = 0.7f;

    /// <inheritdoc />
    public Task<ImportedGenerator> ImportGeneratorAsync(string sourceFile, string targetStem, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => Import(sourceFile, targetStem), ct);

    /// <inheritdoc />
    public Task<CheckedClip> CheckClipAsync(string file, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => Check(file), ct);

    private static ImportedGenerator Import(string sourceFile, string targetStem)
    {
        using var scope = NewDisposeScope();
        var (generator, format) = GeneratorLoader.Load(sourceFile);
        using (generator)
        {
            string weights = GeneratorLoader.Save(generator, targetStem);
            byte[] preview;
            using (no_grad())
            {
                var z = SeedLatents.FromSeeds(PreviewSeeds, generator.Config.ZDim);      // [8, ZDim]
                var images = generator.Generate(z, PreviewTruncation, NoiseMode.Const); // [8, 3, H, W]
                preview = ImageEncoder.GridPng(images.cpu(), columns: 4);
            }
            return new ImportedGenerator(weights, format.ToString(), generator.Config.Family.ToString(), generator.Config.ImgResolution, preview);
        }
    }

    private static CheckedClip Check(string file)
    {
        using var scope = NewDisposeScope();
        var format = ClipLoader.DetectFormat(file);
        using var clip = ClipLoader.Load(file);
        return new CheckedClip(format.ToString(), format == ClipFileFormat.SafeTensors, clip.InputResolution);
    }
}
