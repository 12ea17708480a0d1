// BuiltinSteps module
