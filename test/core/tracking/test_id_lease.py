"""Track IDs are never handed out twice across restarts: the next one is reserved in a file, a block at a time."""
import time
from pathlib import Path

from alphapose_ros.core.tracking.id_lease import IdLease, default_path


def test_ids_start_at_1_then_a_restart_continues_above_every_id_handed_out(tmp_path):
    path = tmp_path / "tracking.next_track_id"
    a = IdLease(path, block=10)
    assert a.first == 1 and int(path.read_text()) == 11 and not a.problem
    for handed_out in range(1, 40):  # the tracker's next ID after each new person
        a.reserve(handed_out + 1)
        assert int(path.read_text()) > handed_out  # written before the ID could go out
    b = IdLease(path, block=10)  # the process restarted (at any point): above everything a handed out
    assert b.first >= 40 and b.first == int(path.read_text()) - 10


def test_one_write_per_half_block_of_new_people(tmp_path):
    path = tmp_path / "ids"
    lease = IdLease(path, block=100)
    writes = 0
    last = path.stat().st_mtime_ns
    for next_id in range(2, 500):
        lease.reserve(next_id)
        if path.stat().st_mtime_ns != last:
            writes, last = writes + 1, path.stat().st_mtime_ns
    assert 6 <= writes <= 11


def test_not_kept_when_not_asked(tmp_path):
    lease = IdLease(None)
    lease.reserve(5000)
    assert lease.first == 1 and lease.problem == "" and not list(tmp_path.iterdir())


def test_an_unwritable_place_starts_at_the_time_and_says_why():
    lease = IdLease(Path("/proc/alphapose_ros_next_track_id"))  # readable (absent), unwritable even for root
    assert "cannot write" in lease.problem and abs(lease.first - time.time() * 10) < 100
    assert lease.limit > lease.first


def test_a_file_that_is_a_folder_or_holds_no_id_starts_at_the_time(tmp_path):
    folder = tmp_path / "ids"
    folder.mkdir()
    lease = IdLease(folder)
    assert lease.problem and abs(lease.first - time.time() * 10) < 100
    garbage = tmp_path / "garbage"
    garbage.write_text("twelve\n")
    lease = IdLease(garbage, block=10)
    assert "holds no track ID" in lease.problem and abs(lease.first - time.time() * 10) < 100
    assert int(garbage.read_text()) == lease.first + 10  # replaced by a good one


def test_one_file_per_node_under_ros_home(monkeypatch, tmp_path):
    monkeypatch.setenv("ROS_HOME", str(tmp_path))
    assert default_path("/robot1/tracking") == tmp_path / "alphapose_ros" / "robot1.tracking.next_track_id"
    assert default_path("/tracking") != default_path("/robot1/tracking")
