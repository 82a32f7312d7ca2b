namespace LoraLab.Experiments.Demo;

/// <summary>An operation of a demo word problem.</summary>
public enum ArithmeticOp
{
    Add,
    Subtract,
    Multiply,
}
