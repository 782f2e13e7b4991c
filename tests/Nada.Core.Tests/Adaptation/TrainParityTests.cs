using System.Text.Json;
using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Checkpoints;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Adaptation;

/// <summary>
/// The trainer against the reference's recorded layer selection and two Adam steps (train_expected):
/// rosinality generator + tiny OpenAI CLIP from NADA_PARITY_DIR, constant noise, photo -> sketch.
/// </summary>
public sealed class TrainParityTests : IDisposable
{
    private readonly Dictionary<string, Tensor> _expected;
    private readonly Dictionary<string, string> _meta;
    private readonly StyleGan2Generator _frozen;
    private readonly StyleGan2Generator _trainable;
    private readonly ClipEnsemble _ensemble;
    private readonly ClipAdaptationLoss _loss;

    public TrainParityTests()
    {
        (_expected, _meta) = SafeTensorsFile.Load(CheckpointTestFiles.Parity("train_expected.safetensors"));
        _frozen = GeneratorLoader.LoadGenerator(CheckpointTestFiles.Parity("stylegan2_rosinality.pt"));
        _trainable = _frozen.Clone();
        _ensemble = new ClipEnsemble([(ClipLoader.Load(CheckpointTestFiles.Parity("clip_openai_tiny_vit.pt")), 1f)]);
        var losses = new ClipLossSet(_ensemble, new ClipLossWeights(Directional: 1f), "photo", "sketch");
        _loss = new ClipAdaptationLoss(_ensemble, losses, "sketch");
    }

    private int MetaInt(string key) => int.Parse(_meta[key]);

    [Fact]
    public void LayerSelectionMatchesReference()
    {
        using var scope = NewDisposeScope();
        int k = MetaInt("auto_layer_k");
        var selection = LayerSelector.Select(_frozen, _trainable, _loss, _expected["layer_select_z"],
            MetaInt("auto_layer_iters"), double.Parse(_meta["w_sgd_lr"], System.Globalization.CultureInfo.InvariantCulture), k, NoiseMode.Const);

        var expectedWeights = _expected["layer_weights"];
        var actual = tensor(selection.Weights);
        double relL2 = ((actual - expectedWeights).norm() / expectedWeights.norm()).item<float>();
        Assert.True(relL2 < 1e-3, $"layer_weights relative L2 error {relL2:E3} exceeds 1e-3");
        var expectedChosen = _expected["chosen_w_indices"].data<long>().Select(i => (int)i).ToArray();
        Assert.Equal(expectedChosen, selection.Chosen);
    }

    [Fact]
    public void ReferenceMappingOfChosenEntriesGivesTheRecordedTrainableSet()
    {
        var recorded = JsonSerializer.Deserialize<string[]>(_meta["trainable_param_names"])!;
        int numWs = _frozen.Config.NumWs;
        var prefixes = _expected["chosen_w_indices"].data<long>()
            .Select(i => TrainableLayers.ForWPlusEntry((int)i, numWs, WPlusLayerMapping.Reference))
            .OfType<string>()
            .ToList();
        var names = _trainable.named_parameters().Select(p => p.name).Where(n => TrainableLayers.Matches(n, prefixes));
        Assert.Equal(recorded.OrderBy(n => n), names.OrderBy(n => n));
    }

    [Fact]
    public void TwoAdamStepsMatchReference()
    {
        var recorded = JsonSerializer.Deserialize<string[]>(_meta["trainable_param_names"])!;
        var options = new AdaptationOptions { AutoLayerIters = 0, TrainNoise = NoiseMode.Const };
        using var trainer = new NadaTrainer(_frozen, _trainable, _loss, options);
        foreach (var (name, p) in _trainable.named_parameters())
            p.requires_grad_(recorded.Contains(name));

        var stepZ = _expected["step_z"];                                     // [steps, B, ZDim]
        var expectedLosses = _expected["step_losses"].data<float>().ToArray();
        for (int s = 0; s < stepZ.shape[0]; s++)
        {
            using var scope = NewDisposeScope();
            var result = trainer.Step(stepZ[s], null, -1, null);
            float loss = result.Total.item<float>();
            Assert.True(Math.Abs(loss - expectedLosses[s]) < 1e-4, $"step {s} loss {loss} vs reference {expectedLosses[s]}");
        }

        using var check = NewDisposeScope();
        var (g, _) = SafeTensorsFile.Load(CheckpointTestFiles.Parity("stylegan2_expected.safetensors"));
        Tensor img;
        using (no_grad())
            img = _trainable.Generate(g["z"], 1f, NoiseMode.Const);
        var diff = (img - _expected["img_after_2_steps"]).abs();
        double mean = diff.mean().item<float>(), max = diff.max().item<float>();
        Assert.True(mean < 1e-3 && max < 5e-2, $"img_after_2_steps mean abs {mean:E3} (bound 1e-3), max abs {max:E3} (bound 5e-2)");
        // The steps changed the image: a trainer that did nothing would fail against the reference anyway,
        // but say so plainly.
        using (no_grad())
            Assert.True((_frozen.Generate(g["z"], 1f, NoiseMode.Const) - img).abs().max().item<float>() > 1e-6);
    }

    public void Dispose()
    {
        _loss.Dispose();
        _trainable.Dispose();
        _frozen.Dispose();
        foreach (var t in _expected.Values) t.Dispose();
    }
}
