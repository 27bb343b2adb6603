namespace Shoal.Arrays.Kernels;

/// <summary>Element-wise functions of one argument.</summary>
internal enum UnaryOp : byte
{
    Negate, Abs, Square, Sqrt, Exp, Log, Sin, Cos, Tan, Tanh, Floor, Ceiling, Round, Not, Sign, Log10, Log2, Expm1, Log1p, IsNaN,
}

/// <summary>Element-wise functions of two arguments (same dtype in, same dtype out).</summary>
internal enum BinaryOp : byte
{
    Add, Subtract, Multiply, Divide, Power, Minimum, Maximum, Remainder, And, Or, Xor, Atan2,
}

/// <summary>Comparisons (dtype in, bool out).</summary>
internal enum CompareOp : byte
{
    Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual,
}

/// <summary>Reductions that combine associatively (tree reductions: partial, combine, finish).</summary>
internal enum ReduceOp : byte
{
    Sum, Prod, Min, Max,
    /// <summary>count, mean and M2 per cell (Chan et al.'s parallel variance), for Mean, Var and Std.</summary>
    Moments,
    /// <summary>The number of non-zero elements (int64).</summary>
    CountNonZero,
    Any, All,
}

/// <summary>What a finished <see cref="ReduceOp.Moments"/> reduction gives.</summary>
internal enum MomentsResult : byte
{
    Mean, Var, Std,
}

/// <summary>Random distributions.</summary>
internal enum Distribution : byte
{
    Uniform, Normal,
}
