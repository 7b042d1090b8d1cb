namespace Clinforge.Evaluation;
