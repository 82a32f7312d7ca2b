namespace LoraLab.Experiments.Demo.Data;

/// <summary>An operation of a demo word problem.</summary>
public enum ArithmeticOp
{
    Add,
    Subtract,
    Multiply,
}
