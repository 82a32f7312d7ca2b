namespace LoraLab.Data;

/// <summary>
/// Where a <see cref="BatchLoader"/> is in its data: the epoch and the index (in that epoch's shuffled order) of the
/// next sample. Saved in checkpoints; a loader set to it yields exactly the batches the original run would have.
/// </summary>
public readonly record struct DataPosition(long Epoch, long Index);
