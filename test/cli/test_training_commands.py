"""The training commands chained: make synthetic data, train a few steps, evaluate the
checkpoint through the pipeline; bad input gets exit code 2 and a message."""
import json

import yaml


def test_make_data_train_and_evaluate_chain(tmp_path, caplog):
    from alphapose_ros.cli.eval_model import main as eval_model
    from alphapose_ros.cli.make_training_data import main as make_data
    from alphapose_ros.cli.train import main as train

    data = tmp_path / "syn"
    assert make_data(["synthetic", "--out", str(data), "--images", "6", "--size", "160", "120"]) == 0
    assert make_data(["synthetic", "--out", str(data), "--images", "6"]) == 2  # never overwrites a dataset
    cfg = {"DATASET": {"TRAIN": {"TYPE": "ConcatDataset", "SET_LIST": [{"ROOT": str(data)}]}, "VAL": {"ROOT": str(data)}},
           "DATA_PRESET": {"TYPE": "simple", "NUM_JOINTS": 26, "IMAGE_SIZE": [64, 48], "HEATMAP_SIZE": [16, 12]},
           "MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "WIDTH": 8, "CONV_DIM": 16},
           "LOSS": {"TYPE": "L1JointRegression"}, "TRAIN": {"BATCH_SIZE": 4, "STEPS": 2, "EVAL_EVERY": 2}}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert train(["--cfg", str(path), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    log = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 2 and 0.0 <= log[-1]["val_AP"] <= 1.0
    out = tmp_path / "ap.json"
    assert eval_model(["--cfg", str(path), "--checkpoint", str(tmp_path / "run" / "model_2.pth"),
                       "--data", str(data), "--json", str(out)]) == 0
    stats = json.loads(out.read_text())[str(data)]
    assert 0.0 <= stats["AP"] <= 1.0 and set(stats) >= {"AP", "AP50", "AR"}
    # a checkpoint of another network is refused with the mismatch named
    cfg["MODEL"]["WIDTH"] = 16
    path.write_text(yaml.safe_dump(cfg))
    assert eval_model(["--cfg", str(path), "--checkpoint", str(tmp_path / "run" / "model_2.pth"),
                       "--data", str(data)]) == 2
    assert train(["--cfg", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "r2")]) == 2


def test_make_data_labels_identities_and_refuses_a_negative_count(tmp_path):
    from alphapose_ros.cli.make_training_data import main as make_data

    data = tmp_path / "ids"
    assert make_data(["synthetic", "--out", str(data), "--images", "5", "--size", "160", "120",
                      "--identities", "3"]) == 0
    doc = json.loads((data / "annotations.json").read_text())
    ids = [a["identity"] for a in doc["annotations"]]
    assert ids and set(ids) <= {0, 1, 2} and "3 identities" in doc["info"]["description"]
    assert make_data(["synthetic", "--out", str(tmp_path / "bad"), "--images", "2", "--identities", "-1"]) == 2
