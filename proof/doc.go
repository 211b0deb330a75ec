// Package proof is Strata's proof concept: the network's registered seal and
// PoSt proof types and what each fixes (sector size, SDR layers, tree shape,
// challenge counts), and the stages a sealing engine implements, in process
// or through an external processor (proof/processor). The built-in engine
// (proof/sdr, proof/poseidon, proof/ptree) does the network's replication
// byte for byte; its final proof is the vanilla proof, which the devnet
// verifies, while the network's SNARK (C2) goes to an external prover.
package proof
