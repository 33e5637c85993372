"""The M/M/c reference model in SimPy, for `npm run bench` to time against servesim.

Same model as bench/mmc.json: Poisson arrivals, c identical servers fed from one FIFO queue,
exponential service times; the run stops at the duration. Prints one JSON line.
Needs SimPy 4 (`pip install simpy`).
"""
import argparse
import json
import random
import time

import simpy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=360.0, help="arrivals per second")
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--mean-service", type=float, default=0.01, help="seconds")
    parser.add_argument("--duration", type=float, default=10000.0, help="simulated seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    rng = random.Random(args.seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=args.servers)
    done = {"count": 0, "latency": 0.0}

    def customer(arrival: float):
        with servers.request() as turn:
            yield turn
            yield env.timeout(rng.expovariate(1.0 / args.mean_service))
        done["count"] += 1
        done["latency"] += env.now - arrival

    def source():
        while True:
            yield env.timeout(rng.expovariate(args.rate))
            env.process(customer(env.now))

    env.process(source())
    env.run(until=args.duration)
    print(json.dumps({
        "simpy": simpy.__version__,
        "completed": done["count"],
        "meanLatencyMs": 1000 * done["latency"] / max(1, done["count"]),
        "wallSeconds": round(time.perf_counter() - started, 3),
    }))


if __name__ == "__main__":
    main()
